package kingbus.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import kingbus.gtid.GtidList;
import org.junit.jupiter.api.Test;

/** Purge planning mirrors a MariaDB master's PURGE BINARY LOGS / expire_logs_days / max_binlog_total_size. */
class PurgePlanTest {

    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    /** Five files of 1000 bytes; file i (from 1) was opened at T0 + i hours, so file i closed at T0 + (i+1) h. */
    private static List<BinlogFile> files() {
        List<BinlogFile> files = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            byte[] fde = new byte[19];
            ByteBuffer.wrap(fde).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) T0.plusSeconds(3600L * i).getEpochSecond());
            files.add(new BinlogFile(name(i), 4, 1004, i < 5, fde, GtidList.parse("0-1-" + (i * 10))));
        }
        return files;
    }

    private static String name(int i) {
        return "mysql-bin.00000" + i;
    }

    @Test
    void toDropsEveryFileBeforeTheOneNamedAndRefusesAnUnknownOne() {
        PurgePlan plan = PurgePlan.to(files(), name(3), List.of());
        assertThat(plan.firstKept()).contains(name(3));
        assertThat(plan.purged()).isEqualTo(2);
        assertThat(plan.heldBack()).isFalse();
        assertThat(PurgePlan.to(files(), name(1), List.of()).firstKept()).isEmpty();
        assertThat(PurgePlan.to(files(), name(5), List.of()).purged()).as("up to the active file").isEqualTo(4);
        assertThatThrownBy(() -> PurgePlan.to(files(), "mysql-bin.000042", List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Target log not found in binlog index").hasMessageContaining("mysql-bin.000042");
    }

    @Test
    void beforeDropsTheFilesClosedEarlierButNeverTheActiveOne() {
        // file 2 closed at T0+3h (file 3's FDE); file 3 at T0+4h.
        PurgePlan plan = PurgePlan.before(files(), T0.plusSeconds(3 * 3600 + 1), List.of());
        assertThat(plan.firstKept()).contains(name(3));
        assertThat(PurgePlan.before(files(), T0.plusSeconds(3 * 3600), List.of()).firstKept())
                .as("closed exactly then is not before").contains(name(2));
        assertThat(PurgePlan.before(files(), T0.plusSeconds(99 * 3600), List.of()).firstKept()).contains(name(5));
        assertThat(PurgePlan.before(files(), T0, List.of()).firstKept()).isEmpty();
    }

    @Test
    void retentionBySizeAndAgeTakesWhicheverDropsMore() {
        assertThat(PurgePlan.retention(files(), 2000, Duration.ZERO, T0, List.of()).firstKept()).contains(name(4));
        assertThat(PurgePlan.retention(files(), 2500, Duration.ZERO, T0, List.of()).firstKept()).contains(name(4));
        assertThat(PurgePlan.retention(files(), 5000, Duration.ZERO, T0, List.of()).firstKept()).isEmpty();
        assertThat(PurgePlan.retention(files(), 1, Duration.ZERO, T0, List.of()).firstKept())
                .as("never the active file").contains(name(5));
        // At T0+5h30 with a 3 h limit: file 1 (closed T0+2h) goes; file 2 (closed T0+3h, 2h30 ago) stays.
        Instant now = T0.plusSeconds(5 * 3600 + 1800);
        assertThat(PurgePlan.retention(files(), 0, Duration.ofHours(3), now, List.of()).firstKept()).contains(name(2));
        assertThat(PurgePlan.retention(files(), 3000, Duration.ofHours(3), now, List.of()).firstKept())
                .as("size drops more").contains(name(3));
        assertThat(PurgePlan.retention(files(), 0, Duration.ZERO, now, List.of()).firstKept()).isEmpty();
    }

    @Test
    void aReaderHoldsBackItsFileAndEveryLaterOneAsOnAMariadbMaster() {
        List<ActiveReader> readers = List.of(new ActiveReader("replica server_id 7 on node n2", name(2)),
                new ActiveReader("replica server_id 8 on node n3", name(4)));
        PurgePlan plan = PurgePlan.to(files(), name(5), readers);
        assertThat(plan.firstKept()).contains(name(2));
        assertThat(plan.purged()).isEqualTo(1);
        assertThat(plan.wanted()).isEqualTo(4);
        assertThat(plan.heldBackMessage()).contains("file mysql-bin.000002 was not purged because it was being read by"
                + " 1 thread(s), purged only 1 out of 4 files (read by: replica server_id 7 on node n2)");
        PurgePlan first = PurgePlan.to(files(), name(3), List.of(new ActiveReader("r", name(1))));
        assertThat(first.firstKept()).isEmpty();
        assertThat(first.heldBack()).isTrue();
        assertThat(PurgePlan.to(files(), name(2), readers).heldBack()).as("reader in the first file kept").isFalse();
    }

    @Test
    void aFileWhoseSuccessorIsNotHeldWholeHasNoCloseTimeAndStopsAPurgeByAge() {
        List<BinlogFile> files = new ArrayList<>(files());
        BinlogFile third = files.get(2);
        files.set(2, new BinlogFile(third.name(), 500, third.endPosition(), true, null, third.startState()));
        assertThat(PurgePlan.closedAt(files, 1)).isEqualTo(Optional.empty());
        assertThat(PurgePlan.before(files, T0.plusSeconds(99 * 3600), List.of()).firstKept()).contains(name(2));
    }
}
