package kingbus.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * One JDBC connection kept open to poll a server (SHOW MASTER STATUS, SHOW SLAVE STATUS) every 50 ms:
 * a new login per poll costs the polled server more than the query (it showed as 13% of a Kingbus
 * leader's Java samples while it ingested). Reconnects after an error. Not thread-safe.
 */
final class Poller implements AutoCloseable {

    private final int port;
    private final String user;
    private final String password;
    private Connection connection;

    Poller(int port, String user, String password) {
        this.port = port;
        this.user = user;
        this.password = password;
    }

    /** The first row of {@code sql} as column label to value (empty when there is no row). */
    Map<String, String> row(String sql) throws SQLException {
        try {
            if (connection == null) {
                Properties props = new Properties();
                props.setProperty("user", user);
                props.setProperty("password", password);
                props.setProperty("connectTimeout", "5000");
                connection = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/", props);
            }
            try (Statement s = connection.createStatement(); ResultSet rows = s.executeQuery(sql)) {
                Map<String, String> row = new LinkedHashMap<>();
                if (rows.next()) {
                    for (int i = 1; i <= rows.getMetaData().getColumnCount(); i++) {
                        row.put(rows.getMetaData().getColumnLabel(i), rows.getString(i));
                    }
                }
                return row;
            }
        } catch (SQLException e) {
            close();
            throw e;
        }
    }

    /** "file:position" of SHOW MASTER STATUS. */
    String end() throws SQLException {
        Map<String, String> row = row("SHOW MASTER STATUS");
        return row.isEmpty() ? "" : row.get("File") + ":" + row.get("Position");
    }

    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // already broken
            }
            connection = null;
        }
    }
}
