package kingbus.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import kingbus.store.AppendResult;
import kingbus.store.BinlogStore;
import kingbus.store.BinlogUnavailableException;
import kingbus.store.Chunk;
import kingbus.testing.FixtureEvents;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BinlogStateMachineTest {

    private static final String FILE = "mysql-bin.000001";

    @TempDir
    Path dir;

    /** mysql-bin.000001 from the gtid-mode capture: FDE at 4, GTID_LIST, CHECKPOINT, then 5 groups. */
    private final List<byte[]> events = FixtureEvents.fileEvents("gtid-mode.txt");

    private byte[] entry(int from, int to) {
        return EntryCodec.binlog(List.of(new Chunk(FILE, FixtureEvents.position(events, from),
                FixtureEvents.concat(events, from, to))));
    }

    private static AppendResult apply(BinlogStateMachine machine, byte[] entry) {
        return AppendResult.values()[machine.apply(entry, 0, entry.length, true)[0]];
    }

    /**
     * RAFT goes on to the next entry after an apply fails (its channel closed while the store waited for
     * disk space): the next ones are refused with the reason, not offered to the store as gaps.
     */
    @Test
    void afterTheStoreCouldNotTakeAnEntryTheNextOnesAreRefusedWithTheReason() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir)) {
            BinlogStateMachine machine = new BinlogStateMachine(store);
            assertThat(apply(machine, entry(0, 3))).isEqualTo(AppendResult.APPENDED);
            store.minFreeBytes(Long.MAX_VALUE); // no disk has that much room: the next apply waits
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread raftThread = new Thread(() -> apply(machine, entry(3, 5)));
            raftThread.setUncaughtExceptionHandler((thread, e) -> thrown.set(e));
            raftThread.start();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.writeBlocked().isPresent());
            raftThread.interrupt(); // as RAFT's thread is when the channel closes
            raftThread.join(10_000);
            assertThat(thrown.get()).isInstanceOf(BinlogUnavailableException.class);
            assertThat(machine.appliedCleanly()).isFalse();

            store.minFreeBytes(0);
            long version = store.commitVersion();
            assertThatThrownBy(() -> apply(machine, entry(5, 7))).isInstanceOf(BinlogUnavailableException.class)
                    .hasMessageContaining("an earlier entry could not be").hasMessageContaining("Interrupted");
            assertThat(store.commitVersion()).as("the store was not asked").isEqualTo(version);

            // A new state machine, as after Raft starts again, applies from where the store ends.
            BinlogStateMachine restarted = new BinlogStateMachine(store);
            assertThat(apply(restarted, entry(3, 5))).isEqualTo(AppendResult.APPENDED);
            assertThat(apply(restarted, entry(5, 7))).isEqualTo(AppendResult.APPENDED);
            assertThat(restarted.appliedCleanly()).isTrue();
        }
    }

    /** An entry changed after it was proposed is not stored, nor anything after it; what was stored before stays. */
    @Test
    void anEntryThatFailsItsChecksumIsNotStoredNorAnythingAfterIt() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir)) {
            BinlogStateMachine machine = new BinlogStateMachine(store);
            assertThat(apply(machine, entry(0, 3))).isEqualTo(AppendResult.APPENDED);
            long end = store.lastFile().orElseThrow().endPosition();
            byte[] damaged = entry(3, 5);
            damaged[damaged.length / 2] ^= 0x01; // one bit in the events
            assertThatThrownBy(() -> apply(machine, damaged)).isInstanceOf(RaftEntryCorruptException.class)
                    .hasMessageContaining("fails its CRC-32C");
            assertThatThrownBy(() -> apply(machine, entry(5, 7))).isInstanceOf(BinlogUnavailableException.class)
                    .hasMessageContaining("fails its CRC-32C");
            assertThat(machine.appliedCleanly()).isFalse();
            assertThat(store.lastFile().orElseThrow().endPosition()).as("nothing stored").isEqualTo(end);
        }
    }

    /**
     * A MASTER entry sets the operators' choice and tells the listener, another clears it; a snapshot carries the
     * choice to a member that reads it (as one that catches up by snapshot), and one written before the field
     * existed reads as no choice.
     */
    @Test
    void theMasterChoiceIsAppliedAndTravelsInSnapshots() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir.resolve("a"));
                BinlogStore other = BinlogStore.open(dir.resolve("b"))) {
            BinlogStateMachine machine = new BinlogStateMachine(store);
            List<Optional<MasterChoice>> heard = new ArrayList<>();
            machine.onMasterChoice(choice -> heard.add(Optional.ofNullable(choice)));
            assertThat(machine.masterChoice()).isEmpty();
            MasterChoice promoted = new MasterChoice("db2.example", 3307);
            assertThat(apply(machine, EntryCodec.master(promoted))).isEqualTo(AppendResult.APPENDED);
            assertThat(machine.masterChoice()).contains(promoted);

            ByteArrayOutputStream snapshot = new ByteArrayOutputStream();
            machine.writeContentTo(new DataOutputStream(snapshot));
            BinlogStateMachine reader = new BinlogStateMachine(other);
            reader.readContentFrom(new DataInputStream(new ByteArrayInputStream(snapshot.toByteArray())));
            assertThat(reader.masterChoice()).as("read from the snapshot").contains(promoted);

            assertThat(apply(machine, EntryCodec.master(null))).isEqualTo(AppendResult.APPENDED);
            assertThat(machine.masterChoice()).isEmpty();
            assertThat(heard).containsExactly(Optional.of(promoted), Optional.empty());

            ByteArrayOutputStream older = new ByteArrayOutputStream(); // newest file, end, first file, source only
            DataOutputStream out = new DataOutputStream(older);
            out.writeUTF("");
            out.writeLong(0);
            out.writeUTF("");
            out.writeUTF("");
            reader.readContentFrom(new DataInputStream(new ByteArrayInputStream(older.toByteArray())));
            assertThat(reader.masterChoice()).as("a snapshot without the field").isEmpty();
        }
    }

    /**
     * The choice outlives the process in its file (entries already applied are not replayed at a start), and this
     * node's own older snapshot, read at start, does not take it back; one sent by the leader does set it.
     */
    @Test
    void theMasterChoiceIsKeptInItsFileAndAnOwnOlderSnapshotDoesNotUndoIt() throws Exception {
        Path file = dir.resolve("choice");
        try (BinlogStore store = BinlogStore.open(dir.resolve("s"))) {
            BinlogStateMachine machine = new BinlogStateMachine(store, null, "", file);
            ByteArrayOutputStream before = new ByteArrayOutputStream(); // a snapshot with no choice yet
            machine.writeContentTo(new DataOutputStream(before));
            MasterChoice chosen = new MasterChoice("fe80::1", 3306);
            apply(machine, EntryCodec.master(chosen));

            BinlogStateMachine restarted = new BinlogStateMachine(store, null, "", file);
            assertThat(restarted.masterChoice()).as("read from its file").contains(chosen);
            restarted.restoring(true);
            restarted.readContentFrom(new DataInputStream(new ByteArrayInputStream(before.toByteArray())));
            restarted.restoring(false);
            assertThat(restarted.masterChoice()).as("after its own older snapshot").contains(chosen);

            restarted.readContentFrom(new DataInputStream(new ByteArrayInputStream(before.toByteArray())));
            assertThat(restarted.masterChoice()).as("after the leader's snapshot").isEmpty();
            assertThat(new BinlogStateMachine(store, null, "", file).masterChoice()).isEmpty();
        }
    }
}
