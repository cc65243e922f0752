package kingbus.syncer;

import kingbus.testing.FixtureEvents;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Grouping the real events of the gtid-mode capture (mysql-bin.000001) into committed units. */
class TransactionGrouperTest {

    private final List<byte[]> events = FixtureEvents.fileEvents("gtid-mode.txt");

    private List<TransactionGrouper.Unit> group(int count) {
        List<TransactionGrouper.Unit> units = new ArrayList<>();
        TransactionGrouper grouper = new TransactionGrouper(units::add);
        long position = 4;
        for (int i = 0; i < count; i++) {
            grouper.add("mysql-bin.000001", position, events.get(i), true);
            position += events.get(i).length;
        }
        return units;
    }

    @Test
    void headerEventsStandAloneAndTransactionsAreWhole() {
        // FDE, GTID_LIST, BINLOG_CHECKPOINT, DDL (GTID+QUERY) x2, then DML groups (GTID ... XID).
        List<TransactionGrouper.Unit> units = group(events.size());
        assertThat(units.subList(0, 3)).allMatch(u -> u.transactions() == 0);
        assertThat(units.get(3).transactions()).isEqualTo(1);
        assertThat(units.get(3).length()).isEqualTo(events.get(3).length + events.get(4).length);
        long position = 4;
        for (TransactionGrouper.Unit unit : units) {
            assertThat(unit.startPosition()).isEqualTo(position);
            position += unit.length();
        }
        long gtidEvents = events.stream().filter(e -> (e[4] & 0xFF) == 162).count();
        assertThat(units.stream().mapToInt(TransactionGrouper.Unit::transactions).sum()).isEqualTo(gtidEvents)
                .isGreaterThanOrEqualTo(5);
    }

    @Test
    void aTransactionCutBeforeItsXidIsNeverHandedOn() {
        // 3 header events, 2 DDL groups (4 events), then GTID, ANNOTATE, TABLE_MAP, WRITE_ROWS but no XID.
        List<TransactionGrouper.Unit> units = new ArrayList<>();
        TransactionGrouper grouper = new TransactionGrouper(units::add);
        long position = 4;
        for (int i = 0; i < 11; i++) {
            grouper.add("mysql-bin.000001", position, events.get(i), true);
            position += events.get(i).length;
        }
        assertThat(grouper.inTransaction()).isTrue();
        assertThat(units).hasSize(5);
        grouper.discardPartial();
        assertThat(grouper.inTransaction()).isFalse();
        assertThat(units).hasSize(5);
    }
}
