package kingbus.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.File;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import kingbus.config.KingbusConfig;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.spi.ConfigProviderResolver;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Kingbus WAR deployed in a real Open Liberty server (src/test/liberty/config/server.xml: no
 * master configured, MySQL port 24407, HTTP port 24080), tested from inside the container: CDI
 * wiring, the three health endpoints, the MySQL listener, and configuration validation with
 * Liberty's own MicroProfile Config.
 */
@ExtendWith(ArquillianExtension.class)
class KingbusContainerIT {

    private static final String HTTP = "http://127.0.0.1:24080";
    private static final String MYSQL_URL = "jdbc:mariadb://127.0.0.1:24407/";

    @Deployment
    static WebArchive deployment() {
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File("target/kingbus.war"))
                .addClass(KingbusContainerIT.class);
    }

    @Inject
    KingbusNode node;

    @Inject
    KingbusConfig config;

    @Test
    void cdiWiresEveryPartOfTheNode() {
        assertTrue(node.isStarted(), "the start observer ran");
        assertEquals(List.of(), node.startupProblems());
        assertTrue(node.store().orElseThrow().isOpen(), "store open");
        assertTrue(node.raft().orElseThrow().isLeader(), "a single node leads its own Raft group");
        assertTrue(node.server().orElseThrow().isListening(), "MySQL listener up");
        assertEquals(24407, node.server().orElseThrow().boundPort());
        assertTrue(node.syncer().isEmpty(), "no master configured, so no syncer");
        assertEquals(24407, config.mysqlPort(), "server.xml variables reach MicroProfile Config");
    }

    @Test
    void healthEndpointsReportLiveStartedAndReady() throws Exception {
        JsonObject live = getJson("/health/live", 200);
        assertEquals("UP", live.getString("status"));
        JsonObject started = getJson("/health/started", 200);
        assertEquals("UP", started.getString("status"));
        JsonObject ready = getJson("/health/ready", 200);
        assertEquals("UP", ready.getString("status"));
        JsonObject data = ready.getJsonArray("checks").getJsonObject(0).getJsonObject("data");
        assertTrue(data.getString("master").startsWith("not configured"), "readiness says no master: " + data);
        assertEquals("open", data.getString("store"));
        assertEquals("listening", data.getString("mysql.listener"));
    }

    @Test
    void listenerAuthenticatesReplicasAndAnswersQueries() throws Exception {
        try (Connection connection = connect("repl", "arquillian-replica-pass");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT @@GLOBAL.server_id")) {
            assertTrue(rows.next());
            assertEquals("4242", rows.getString(1));
        }
        try (Connection connection = connect("repl", "wrong-password")) {
            fail("a wrong password was accepted");
        } catch (SQLException e) {
            assertEquals(1045, e.getErrorCode(), "wrong password gets ER_ACCESS_DENIED_ERROR: " + e);
        }
    }

    @Test
    void badSettingsAreRefusedWithAMessageNamingThem() {
        Config bad = ConfigProviderResolver.instance().getBuilder()
                .withSources(mapSource(Map.of("kingbus.mysql.port", "70000", "kingbus.raft.members", "nobody")))
                .build();
        List<String> problems = new KingbusConfig(bad).problems();
        assertTrue(problems.contains("kingbus.mysql.port=70000 is out of range: expected 1 to 65535"), problems.toString());
        assertTrue(problems.contains("kingbus.raft.members entry 'nobody' must look like name@host:port"),
                problems.toString());
    }

    private static Connection connect(String user, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "5000");
        return new org.mariadb.jdbc.Driver().connect(MYSQL_URL, props);
    }

    private static JsonObject getJson(String path, int expectedStatus) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(HTTP + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expectedStatus, response.statusCode(), path + " answered " + response.body());
        return Json.createReader(new StringReader(response.body())).readObject();
    }

    private static ConfigSource mapSource(Map<String, String> values) {
        return new ConfigSource() {
            @Override
            public Set<String> getPropertyNames() {
                return values.keySet();
            }

            @Override
            public String getValue(String name) {
                return values.get(name);
            }

            @Override
            public String getName() {
                return "test";
            }

            @Override
            public int getOrdinal() {
                return 1000;
            }
        };
    }
}
