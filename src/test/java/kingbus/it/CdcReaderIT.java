package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.EventType;
import com.github.shyiko.mysql.binlog.event.MariadbGtidEventData;
import com.github.shyiko.mysql.binlog.event.WriteRowsEventData;
import com.github.shyiko.mysql.binlog.event.deserialization.EventDeserializer;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A CDC reader as Debezium runs one: mysql-binlog-connector-java with its own event parsing (table maps, row events,
 * MariaDB GTIDs) reads Kingbus as it would read the master, by file and position from the first file, and in GTID
 * mode from a transaction in the middle; both get every row written, and the rows written while they are connected,
 * exactly once and in order.
 */
class CdcReaderIT {

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    /** What one connected reader has parsed: the ids of the rows inserted, and the GTIDs of their transactions. */
    private static final class Reader implements AutoCloseable {
        final List<Integer> ids = new CopyOnWriteArrayList<>();
        final List<String> values = new CopyOnWriteArrayList<>();
        final List<String> gtids = new CopyOnWriteArrayList<>();
        /** The GTID of each row's transaction, by row id. */
        final Map<Integer, String> gtidOfRow = new ConcurrentHashMap<>();
        final BinaryLogClient client;

        Reader(KingbusProcess kingbus, String file, String gtidSet) throws Exception {
            client = new BinaryLogClient(kingbus.host(), kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                    KingbusProcess.REPLICA_PASSWORD);
            client.setServerId(7700 + (file == null ? 1 : 2));
            client.setKeepAlive(false);
            if (file != null) {
                client.setBinlogFilename(file);
                client.setBinlogPosition(4);
            } else {
                client.setGtidSet(gtidSet);
            }
            EventDeserializer deserializer = new EventDeserializer();
            deserializer.setCompatibilityMode(EventDeserializer.CompatibilityMode.CHAR_AND_BINARY_AS_BYTE_ARRAY);
            client.setEventDeserializer(deserializer);
            client.registerEventListener(event -> {
                if (event.getHeader().getEventType() == EventType.MARIADB_GTID) {
                    MariadbGtidEventData gtid = event.getData();
                    // The connector leaves MariadbGtidEventData's server id unset: the header has it.
                    gtids.add(gtid.getDomainId() + "-" + event.getHeader().getServerId() + "-" + gtid.getSequence());
                } else if (event.getData() instanceof WriteRowsEventData rows) {
                    for (Serializable[] row : rows.getRows()) {
                        ids.add((Integer) row[0]);
                        gtidOfRow.put((Integer) row[0], gtids.get(gtids.size() - 1));
                        values.add(new String((byte[]) row[1], StandardCharsets.UTF_8));
                    }
                }
            });
            client.connect(TimeUnit.SECONDS.toMillis(30));
        }

        @Override
        public void close() throws Exception {
            client.disconnect();
        }
    }

    @Test
    void theConnectorParsesEveryRowByPositionAndByGtidOnceAndInOrder() throws Exception {
        MariaDb master = cleanup.add(MariaDb.start(1));
        master.execute("CREATE DATABASE app", "USE app", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100))",
                "INSERT INTO t SELECT seq, CONCAT('first ', seq) FROM seq_1_to_50", "FLUSH BINARY LOGS");
        for (int i = 51; i <= 60; i++) {
            master.execute("INSERT INTO app.t VALUES (" + i + ", 'single " + i + "')");
        }
        KingbusProcess kingbus = cleanup.add(KingbusProcess.forMaster(master, Map.of())).start().awaitReady();
        Awaitility.await("Kingbus at the master's position").atMost(Duration.ofSeconds(60))
                .until(() -> kingbus.gtidBinlogPos().equals(master.gtidBinlogPos()));

        try (Reader byPosition = new Reader(kingbus, "mysql-bin.000001", null)) {
            Awaitility.await("the rows by position").atMost(Duration.ofSeconds(30))
                    .until(() -> byPosition.ids.size() >= 60);
            // In GTID mode from the 55th row's transaction: the rows after it, not it, not before it.
            String fromGtid = byPosition.gtidOfRow.get(55);
            try (Reader byGtid = new Reader(kingbus, null, fromGtid)) {
                for (int i = 61; i <= 70; i++) {
                    master.execute("INSERT INTO app.t VALUES (" + i + ", 'live " + i + "')");
                }
                Awaitility.await("the live rows").atMost(Duration.ofSeconds(30))
                        .until(() -> byPosition.ids.size() >= 70 && byGtid.ids.size() >= 15);
                Thread.sleep(500); // nothing more, nothing twice
                assertThat(byGtid.ids).containsExactlyElementsOf(range(56, 70));
                assertThat(byGtid.values.get(0)).isEqualTo("single 56");
            }
            assertThat(byPosition.ids).containsExactlyElementsOf(range(1, 70));
            assertThat(byPosition.values.get(0)).isEqualTo("first 1");
            assertThat(byPosition.values.get(69)).isEqualTo("live 70");
            assertThat(byPosition.gtids).doesNotHaveDuplicates().last().isEqualTo(master.gtidBinlogPos());
        }
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> ids = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            ids.add(i);
        }
        return ids;
    }
}
