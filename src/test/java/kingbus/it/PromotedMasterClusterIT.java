package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A three-node cluster is repointed at a promoted replica through the admin API ({@code PUT /api/v1/master} on a
 * follower), with no restart: the leader goes on in Kingbus's own files. A leader killed later, its successor goes on
 * in the same own file, and the killed node, restarted with the old master still in its configuration, pulls from
 * the chosen one when it leads. Every node ends with the same files, byte for byte, and a replica by file and position
 * gets every transaction of both masters. Bad choices are refused with a 4xx JSON body and change nothing.
 */
class PromotedMasterClusterIT {

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    private final List<KingbusProcess> nodes = new ArrayList<>();
    private final List<MariaDb> replicas = new ArrayList<>();

    @Test
    void theAdminApiRepointsTheClusterAndEveryNodeHoldsTheSameOwnFiles() throws Exception {
        KingbusProcess.withDiagnostics(nodes, replicas, this::repoint);
    }

    private void repoint() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1));
        MariaDb promoted = cleanup.add(MariaDb.start(2));
        MariaDb byPosition = cleanup.add(MariaDb.start(3));
        replicas.addAll(List.of(promoted, byPosition));
        master.execute("CREATE DATABASE app", "USE app", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100))",
                "INSERT INTO t SELECT seq, 'first' FROM seq_1_to_100", "FLUSH BINARY LOGS",
                "USE app", "INSERT INTO t SELECT seq, 'second' FROM seq_101_to_200");
        nodes.addAll(KingbusProcess.cluster(master, 3));
        nodes.forEach(cleanup::add);
        KingbusProcess.startAll(nodes);
        KingbusProcess leader = KingbusProcess.leaderOf(nodes);
        List<KingbusProcess> followers = nodes.stream().filter(n -> n != leader).toList();
        promoted.replicateFrom(followers.get(0));
        byPosition.replicateByPositionFrom(followers.get(1), "mysql-bin.000001");
        for (MariaDb replica : List.of(promoted, byPosition)) {
            replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(60));
        }

        master.kill9();
        promoted.execute("STOP SLAVE", "RESET SLAVE ALL", "USE app", "INSERT INTO t SELECT seq, 'third' FROM"
                + " seq_201_to_300");
        String chosen = "{\"host\": \"127.0.0.1\", \"port\": " + promoted.port() + "}";
        KingbusProcess asked = followers.get(1);
        assertRefused(asked, "{\"host\": \"127.0.0.1\", \"port\": 70000}", 400, "Not a TCP port");
        assertRefused(asked, "{\"host\": \"127.0.0.1\", \"port\": " + promoted.port() + ", \"password\": \"x\"}",
                400, "Unknown field");
        assertRefused(asked, "{\"host\": \"\", \"port\": 3306}", 400, "Not a host name");
        assertRefused(asked, "{\"host\": \"127.0.0.1\", \"port\": 3306, \"force\": \"yes\"}", 400,
                "must be true or false");
        // Masters the syncer could not pull from: the dead one, and a server without the cluster's transactions.
        assertRefused(asked, "{\"host\": \"127.0.0.1\", \"port\": " + master.port() + "}", 409, "cannot be queried");
        try (MariaDb empty = MariaDb.start(4)) {
            assertRefused(asked, "{\"host\": \"127.0.0.1\", \"port\": " + empty.port() + "}", 409,
                    "lacks transactions the cluster holds");
        }
        assertThat(asked.request(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + asked.host()
                + ":" + asked.httpPort() + "/api/v1/master")).PUT(java.net.http.HttpRequest.BodyPublishers
                .ofString(chosen)).header("Content-Type", "application/json")).statusCode())
                .as("a choice without credentials").isEqualTo(401);
        for (KingbusProcess node : nodes) {
            assertThat(node.adminGet("/api/v1/master").body()).as("nothing chosen yet")
                    .contains("\"source\":\"configuration\"").contains(":" + master.port() + "\"");
        }
        var answer = asked.adminSend("PUT", "/api/v1/master", chosen);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).contains("\"source\":\"api\"").contains("\"port\":" + promoted.port());
        for (KingbusProcess node : nodes) {
            Awaitility.await(node.nodeName() + " told of the choice").atMost(Duration.ofSeconds(30))
                    .until(() -> node.adminGet("/api/v1/master").body().contains("\"master\":\"127.0.0.1:"
                            + promoted.port() + "\""));
        }
        byPosition.awaitSlavePos(promoted.gtidBinlogPos(), Duration.ofSeconds(90));

        // A new leader goes on in the own file its predecessor began.
        KingbusProcess repointed = KingbusProcess.leaderOf(nodes);
        repointed.kill9();
        promoted.execute("USE app", "INSERT INTO t SELECT seq, 'fourth' FROM seq_301_to_400");
        String fourth = promoted.gtidBinlogPos();
        for (KingbusProcess survivor : nodes.stream().filter(n -> n != repointed).toList()) {
            Awaitility.await(survivor.nodeName() + " at " + fourth).atMost(Duration.ofSeconds(90))
                    .until(() -> survivor.gtidBinlogPos().equals(fourth));
        }
        repointed.start().awaitReady();
        promoted.execute("USE app", "INSERT INTO t VALUES (0, 'last')");
        String end = promoted.gtidBinlogPos();
        byPosition.awaitSlavePos(end, Duration.ofSeconds(60));
        assertThat(byPosition.queryString("SELECT COUNT(*) FROM app.t")).isEqualTo("401");
        assertThat(byPosition.checksums()).isEqualTo(promoted.checksums());

        List<String> files = List.of("mysql-bin.000001", "mysql-bin.000002", "mysql-bin.000003");
        for (KingbusProcess node : nodes) {
            Awaitility.await(node.nodeName() + " at " + end).atMost(Duration.ofSeconds(60))
                    .until(() -> node.gtidBinlogPos().equals(end));
            assertThat(node.binaryLogSizes().keySet()).as(node.nodeName() + "'s files").containsExactlyElementsOf(files);
        }
        BinlogTool.assertEveryNodeServesTheSameFiles(nodes, files);
        // The killed leader, restarted with the dead master in its configuration, keeps the choice (its Raft log).
        assertThat(repointed.adminGet("/api/v1/master").body()).contains("\"source\":\"api\"")
                .contains("\"master\":\"127.0.0.1:" + promoted.port() + "\"");
        assertThat(repointed.adminGet("/api/v1/syncer").body()).contains("\"master\":\"127.0.0.1:"
                + promoted.port() + "\"");

        // Cleared: each node's configured master again (the dead one here).
        var cleared = asked.adminSend("DELETE", "/api/v1/master", "");
        assertThat(cleared.statusCode()).as(cleared.body()).isEqualTo(200);
        assertThat(cleared.body()).contains("\"source\":\"configuration\"").contains(":" + master.port() + "\"");

        // Chosen again as a DBA would, on the MySQL port as the admin user; the replica gets what follows.
        try (Connection admin = MariaDb.connect(asked.host(), asked.mysqlPort(), KingbusProcess.ADMIN_USER,
                KingbusProcess.ADMIN_PASSWORD, new Properties()); Statement statement = admin.createStatement()) {
            assertThatThrownBy(() -> statement.execute("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT="
                    + master.port())).as("the dead master").isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getErrorCode()).isEqualTo(1210);
                        assertThat(e.getMessage()).contains("will not pull from 127.0.0.1:" + master.port());
                    });
            statement.execute("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" + promoted.port());
        }
        assertThat(asked.adminGet("/api/v1/master").body()).contains("\"source\":\"api\"")
                .contains("\"master\":\"127.0.0.1:" + promoted.port() + "\"");
        promoted.execute("USE app", "INSERT INTO t VALUES (-1, 'after CHANGE MASTER')");
        byPosition.awaitSlavePos(promoted.gtidBinlogPos(), Duration.ofSeconds(60));
        assertThat(byPosition.checksums()).isEqualTo(promoted.checksums());
    }

    /** A choice the API must refuse with {@code status} and a JSON message containing {@code message}. */
    private void assertRefused(KingbusProcess node, String body, int status, String message) {
        var answer = node.adminSend("PUT", "/api/v1/master", body);
        assertThat(answer.statusCode()).as(body + " -> " + answer.body()).isEqualTo(status);
        assertThat(answer.body()).startsWith("{").contains(message);
    }
}
