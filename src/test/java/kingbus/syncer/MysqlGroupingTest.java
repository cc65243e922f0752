package kingbus.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.shyiko.mysql.binlog.BinaryLogFileReader;
import com.github.shyiko.mysql.binlog.event.Event;
import com.github.shyiko.mysql.binlog.event.EventHeaderV4;
import com.github.shyiko.mysql.binlog.event.EventType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kingbus.protocol.binlog.LogEvent;
import kingbus.testing.FixtureEvents;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kingbus commits only whole transactions, MySQL's too: the real MySQL 5.7 and 8.0 binlog files of the fixtures
 * (ROWS v2, DDL without BEGIN, compressed TRANSACTION_PAYLOAD) go through the grouper, and every MySQL transaction
 * comes out as one unit, from its GTID event to the event before the next GTID, ROTATE or STOP. Where the
 * transactions lie is read by mysql-binlog-connector-java's own parser (MySQL mode, {@link BinaryLogFileReader}).
 */
class MysqlGroupingTest {

    private record Range(long start, long end) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"mysql_bin.000011", "mysql_bin.000012", "mysql-bin.000057", "mysql-enum-string-set.000001",
            "binlog-invisible-columns.000001"})
    void everyMysqlTransactionIsOneUnit(String name) throws IOException {
        Path file = FixtureEvents.fixtures().resolve("mysql-binlog").resolve(name);
        List<Range> expected = transactionsByTheConnector(file);
        assertThat(expected).isNotEmpty();

        List<TransactionGrouper.Unit> units = new ArrayList<>();
        TransactionGrouper grouper = new TransactionGrouper(units::add);
        byte[] bytes = Files.readAllBytes(file);
        int position = LogEvent.BIN_LOG_HEADER_SIZE;
        while (position < bytes.length) {
            int size = (int) LogEvent.uint32(bytes, position + LogEvent.EVENT_LEN_OFFSET);
            grouper.add(name, position, Arrays.copyOfRange(bytes, position, position + size), true);
            position += size;
        }
        assertThat(grouper.inTransaction()).as("the last transaction ended").isFalse();
        List<Range> transactions = units.stream().filter(u -> u.transactions() == 1)
                .map(u -> new Range(u.startPosition(), u.startPosition() + u.length())).toList();
        assertThat(transactions).isEqualTo(expected);
        assertThat(units.stream().filter(u -> u.transactions() == 0).map(u -> LogEvent.type(u.eventList().get(0))))
                .as("outside transactions: FDE, PREVIOUS_GTIDS, ROTATE, STOP").allMatch(type ->
                        type == LogEvent.FORMAT_DESCRIPTION_EVENT || type == LogEvent.PREVIOUS_GTIDS_LOG_EVENT
                                || type == LogEvent.ROTATE_EVENT || type == LogEvent.STOP_EVENT);
    }

    /** Each transaction from its GTID event up to the next GTID, ROTATE or STOP event, or the end of the file. */
    private static List<Range> transactionsByTheConnector(Path file) throws IOException {
        List<Range> ranges = new ArrayList<>();
        long open = -1;
        try (BinaryLogFileReader reader = new BinaryLogFileReader(file.toFile())) {
            for (Event event = reader.readEvent(); event != null; event = reader.readEvent()) {
                EventHeaderV4 header = event.getHeader();
                EventType type = header.getEventType();
                boolean gtid = type == EventType.GTID || type == EventType.ANONYMOUS_GTID;
                if (open >= 0 && (gtid || type == EventType.ROTATE || type == EventType.STOP)) {
                    ranges.add(new Range(open, header.getPosition()));
                    open = -1;
                }
                if (gtid) {
                    open = header.getPosition();
                }
            }
        }
        if (open >= 0) {
            ranges.add(new Range(open, Files.size(file)));
        }
        return ranges;
    }
}
