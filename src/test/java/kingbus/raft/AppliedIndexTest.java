package kingbus.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The applied-entry mark is read back as written, and any doubt about it (missing, torn, damaged) reads as none. */
class AppliedIndexTest {

    @TempDir
    Path dir;

    @Test
    void theLastMarkRecordedIsReadBack() throws Exception {
        Path file = dir.resolve("applied");
        try (AppliedIndex applied = new AppliedIndex(file)) {
            assertThat(applied.read()).isEmpty();
            applied.record(new AppliedIndex.Mark(41, "mysql-bin.000012", 123_456_789L));
            applied.record(new AppliedIndex.Mark(42, "mysql-bin.000013", 4));
            applied.record(new AppliedIndex.Mark(43, "", 0));
            applied.record(new AppliedIndex.Mark(44, "mysql-bin.000013", 1_000));
        }
        assertThat(new AppliedIndex(file).read()).contains(new AppliedIndex.Mark(44, "mysql-bin.000013", 1_000));
    }

    @Test
    void aTornOrDamagedMarkReadsAsNone() throws Exception {
        Path file = dir.resolve("applied");
        try (AppliedIndex applied = new AppliedIndex(file)) {
            applied.record(new AppliedIndex.Mark(7, "mysql-bin.000001", 4_096));
        }
        byte[] whole = Files.readAllBytes(file);
        for (int length = 0; length < whole.length; length++) {
            Files.write(file, Arrays.copyOf(whole, length));
            assertThat(new AppliedIndex(file).read()).as("the first %d bytes only", length).isEmpty();
        }
        for (int at = 0; at < whole.length; at++) {
            byte[] damaged = whole.clone();
            damaged[at] ^= 0x10;
            Files.write(file, damaged);
            assertThat(new AppliedIndex(file).read()).as("byte %d changed", at).isEmpty();
        }
    }
}
