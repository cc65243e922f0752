package kingbus.store;

import kingbus.testing.FixtureEvents;
import kingbus.testing.Processes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import kingbus.gtid.GtidList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BinlogStoreTest {

    private static final String FILE = "mysql-bin.000001";

    @TempDir
    Path dir;

    /** mysql-bin.000001 from the gtid-mode capture: FDE at 4, GTID_LIST, CHECKPOINT, then 5 groups. */
    private List<byte[]> events;

    @BeforeEach
    void readFixture() {
        events = FixtureEvents.fileEvents("gtid-mode.txt");
        assertThat(events.get(0)[4]).as("first event is the FDE").isEqualTo((byte) 15);
    }

    private long position(int index) {
        return FixtureEvents.position(events, index);
    }

    private Chunk chunk(int from, int to) {
        return new Chunk(FILE, position(from), FixtureEvents.concat(events, from, to));
    }

    @Test
    void appendsContinuesAndSurvivesReopen() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir)) {
            assertThat(store.files()).isEmpty();
            assertThat(store.append(List.of(chunk(0, 3)))).isEqualTo(AppendResult.APPENDED);
            assertThat(store.append(List.of(chunk(3, 5), chunk(5, 10)))).isEqualTo(AppendResult.APPENDED);
            BinlogFile file = store.files().get(0);
            assertThat(file.name()).isEqualTo(FILE);
            assertThat(file.whole()).isTrue();
            assertThat(file.endPosition()).isEqualTo(position(10));
            assertThat(file.formatDescription()).isEqualTo(events.get(0));
            assertThat(file.startState()).isEqualTo(GtidList.EMPTY);
            assertThat(store.gtidState().toString()).isEqualTo("0-1-3");
            assertThat(store.storedStateFormat()).as("no state record before the first sync").isEqualTo(-1);
            store.sync();
            assertThat(store.storedStateFormat()).as("a store never compressed keeps format 3").isEqualTo(3);
        }
        try (BinlogStore reopened = BinlogStore.open(dir)) {
            assertThat(reopened.files()).hasSize(1);
            assertThat(reopened.gtidState().toString()).isEqualTo("0-1-3");
            assertThat(reopened.lastFile().orElseThrow().endPosition()).isEqualTo(position(10));
            List<byte[]> read = readAll(reopened.open(FILE, 4));
            assertThat(read).hasSize(10);
            for (int i = 0; i < 10; i++) {
                assertThat(read.get(i)).as("event %d", i).isEqualTo(events.get(i));
            }
        }
    }

    @Test
    void duplicateIsSkippedAndGapIsRejectedWithoutChange() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 5)));
            long version = store.commitVersion();
            assertThat(store.append(List.of(chunk(3, 5)))).isEqualTo(AppendResult.DUPLICATE);
            assertThat(store.append(List.of(chunk(6, 8)))).isEqualTo(AppendResult.REJECTED);
            assertThat(store.commitVersion()).isEqualTo(version);
            assertThat(store.lastFile().orElseThrow().endPosition()).isEqualTo(position(5));
        }
    }

    @Test
    void anAppendWaitsForDiskSpaceSaysWhyAndStopsSayingSoWhenItGivesUp() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 3)));
            store.minFreeBytes(Long.MAX_VALUE); // no disk has that much room
            assertThat(store.diskShortage()).hasValueSatisfying(why -> assertThat(why).contains("is full")
                    .contains("kingbus.store.min-free-bytes"));
            assertThat(store.writeBlocked()).as("nothing waits yet").isEmpty();
            Thread writer = new Thread(() -> store.append(List.of(chunk(3, 5))));
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            writer.setUncaughtExceptionHandler((thread, e) -> thrown.set(e));
            writer.start();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.writeBlocked().isPresent());
            assertThat(store.writeBlocked().orElseThrow()).contains("is full");
            writer.interrupt(); // as RAFT's thread is when its channel closes
            writer.join(10_000);
            assertThat(thrown.get()).isInstanceOf(BinlogUnavailableException.class);
            assertThat(store.writeBlocked()).as("no append waits any more").isEmpty();
            assertThat(store.lastFile().orElseThrow().endPosition()).isEqualTo(position(3));
            store.minFreeBytes(0);
            assertThat(store.diskShortage()).isEmpty();
            assertThat(store.append(List.of(chunk(3, 5)))).isEqualTo(AppendResult.APPENDED);
        }
    }

    @Test
    void readersGetAnAppendBeforeItsWriteReturnsWhileSyncAndVerifyKeepToWhatWasWritten() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 3)));
            store.sync();
            long seen = store.commitVersion();
            store.beforeWrites(() -> {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            CompletableFuture<AppendResult> append = CompletableFuture.supplyAsync(
                    () -> store.append(List.of(chunk(3, 5))));
            assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(store.awaitCommit(seen, 10_000)).as("readers are woken while the write is held").isTrue();
            assertThat(readAll(store.open(FILE, position(3)))).containsExactly(events.get(3), events.get(4));
            assertThat(store.lastFile().orElseThrow().endPosition()).isEqualTo(position(5));
            // Records only what was written: it neither names the held segments nor waits for their write.
            CompletableFuture.runAsync(store::sync).get(10, TimeUnit.SECONDS);
            assertThat(store.verifyAll()).as("verify reads only what was written").isTrue();
            assertThat(append).isNotDone();
            release.countDown();
            assertThat(append.get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.APPENDED);
            store.beforeWrites(null);
        }
        try (BinlogStore reopened = BinlogStore.open(dir)) {
            assertThat(reopened.lastFile().orElseThrow().endPosition()).isEqualTo(position(5));
            assertThat(readAll(reopened.open(FILE, position(3)))).containsExactly(events.get(3), events.get(4));
        }
    }

    @Test
    void aWriteThatFailsAfterReadersHaveTheAppendIsTriedAgainUntilItSucceeds() throws Exception {
        AtomicInteger failures = new AtomicInteger();
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 3)));
            store.beforeWrites(() -> {
                if (failures.getAndIncrement() == 0) {
                    throw new IllegalStateException("injected write failure");
                }
            });
            CompletableFuture<AppendResult> append = CompletableFuture.supplyAsync(
                    () -> store.append(List.of(chunk(3, 5))));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.writeBlocked().isPresent());
            assertThat(store.writeBlocked().orElseThrow()).contains("injected write failure");
            assertThat(append.get(10, TimeUnit.SECONDS)).isEqualTo(AppendResult.APPENDED);
            assertThat(failures.get()).isEqualTo(2);
            assertThat(store.writeBlocked()).isEmpty();
            store.beforeWrites(null);
            store.sync();
        }
        try (BinlogStore reopened = BinlogStore.open(dir)) {
            assertThat(readAll(reopened.open(FILE, 4))).hasSize(5);
        }
    }

    @Test
    void aPublishedAppendWhoseWriterIsInterruptedIsTakenBackAndCanBeAppliedAgain() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 3)));
            store.beforeWrites(() -> {
                throw new IllegalStateException("injected write failure");
            });
            long seen = store.commitVersion();
            Thread writer = new Thread(() -> store.append(List.of(chunk(3, 5))));
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            writer.setUncaughtExceptionHandler((thread, e) -> thrown.set(e));
            writer.start();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.writeBlocked().isPresent());
            assertThat(store.lastFile().orElseThrow().endPosition()).as("published").isEqualTo(position(5));
            writer.interrupt(); // as RAFT's thread is when its channel closes
            writer.join(10_000);
            assertThat(thrown.get()).isInstanceOf(BinlogUnavailableException.class);
            assertThat(store.lastFile().orElseThrow().endPosition()).as("taken back").isEqualTo(position(3));
            assertThat(store.commitVersion()).as("readers are told to look again").isGreaterThan(seen + 1);
            assertThat(readAll(store.open(FILE, position(3)))).isEmpty();
            assertThat(store.verifyAll()).isTrue();
            assertThat(store.damage()).isNull();
            store.beforeWrites(null);
            assertThat(store.append(List.of(chunk(3, 5)))).isEqualTo(AppendResult.APPENDED);
            store.sync();
        }
        try (BinlogStore reopened = BinlogStore.open(dir)) {
            assertThat(readAll(reopened.open(FILE, 4))).containsExactlyElementsOf(events.subList(0, 5));
        }
    }

    @Test
    void refusesEventsWhoseHeaderPositionDisagrees() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir)) {
            Chunk misplaced = new Chunk(FILE, 8, FixtureEvents.concat(events, 0, 1));
            assertThat(store.append(List.of(misplaced))).isEqualTo(AppendResult.REJECTED);
            assertThat(store.files()).isEmpty();
        }
    }

    @Test
    void cursorStartsMidFileAtEventBoundariesOnly() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 3)));
            store.append(List.of(chunk(3, 5)));
            store.append(List.of(chunk(5, 10)));
            List<byte[]> tail = readAll(store.open(FILE, position(6)));
            assertThat(tail).hasSize(4);
            assertThat(tail.get(0)).isEqualTo(events.get(6));
            assertThatThrownBy(() -> store.open(FILE, position(6) + 1))
                    .isInstanceOf(BinlogUnavailableException.class)
                    .hasMessageContaining("not the start of an event");
            assertThatThrownBy(() -> store.open("mysql-bin.000009", 4))
                    .isInstanceOf(BinlogUnavailableException.class)
                    .hasMessageContaining("mysql-bin.000009");
            assertThat(readAll(store.open(FILE, position(10)))).isEmpty();
        }
    }

    @Test
    void readerWaitsForTheNextCommit() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 3)));
            EventCursor cursor = store.open(FILE, position(3));
            assertThat(cursor.next()).isNull();
            long seen = store.commitVersion();
            assertThat(store.awaitCommit(seen, 50)).isFalse();
            CompletableFuture<Boolean> woken = CompletableFuture.supplyAsync(() -> {
                try {
                    return store.awaitCommit(seen, 10_000);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            store.append(List.of(chunk(3, 5)));
            assertThat(woken.get(5, TimeUnit.SECONDS)).isTrue();
            assertThat(cursor.next().bytes()).isEqualTo(events.get(3));
        }
    }

    private Chunk chunkOf(String file, int from, int to) {
        return new Chunk(file, position(from), FixtureEvents.concat(events, from, to));
    }

    @Test
    void purgeDropsTheOlderFilesForEveryReaderAndSurvivesReopen() throws Exception {
        String second = "mysql-bin.000002";
        String third = "mysql-bin.000003";
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 10)));
            store.append(List.of(chunkOf(second, 0, 10)));
            store.append(List.of(chunkOf(third, 0, 5)));
            EventCursor reading = store.open(FILE, 4, "replica 7");
            assertThat(store.readers()).containsExactly(new ActiveReader("replica 7", FILE));
            long bytesBefore = store.bytesHeld();

            assertThat(store.purgeTo(second)).isEqualTo(AppendResult.APPENDED);
            assertThat(store.files()).extracting(BinlogFile::name).containsExactly(second, third);
            assertThat(store.bytesHeld()).as("event bytes").isEqualTo(bytesBefore - (position(10) - 4));
            assertThatThrownBy(reading::next).isInstanceOf(BinlogPurgedException.class)
                    .hasMessageContaining("purged").hasMessageContaining(second);
            reading.close();
            assertThat(store.readers()).isEmpty();
            assertThat(store.purgeTo(second)).isEqualTo(AppendResult.DUPLICATE);
            assertThat(store.purgeTo("mysql-bin.000009")).isEqualTo(AppendResult.REJECTED);
            assertThat(store.purgeTo(FILE)).as("a purged file is not held").isEqualTo(AppendResult.REJECTED);
            assertThatThrownBy(() -> store.open(FILE, 4)).isInstanceOf(BinlogUnavailableException.class);
            // Appending goes on after a purge, in the newest file and in a new one.
            assertThat(store.append(List.of(chunkOf(third, 5, 10)))).isEqualTo(AppendResult.APPENDED);
            assertThat(store.append(List.of(chunkOf("mysql-bin.000004", 0, 3)))).isEqualTo(AppendResult.APPENDED);
            assertThat(store.verifyAll()).isTrue();
        }
        try (BinlogStore reopened = BinlogStore.open(dir)) {
            assertThat(reopened.files()).extracting(BinlogFile::name)
                    .containsExactly(second, third, "mysql-bin.000004");
            assertThat(readAll(reopened.open(second, 4))).hasSize(10 + 10 + 3);
            assertThat(reopened.verifyAll()).isTrue();
            assertThat(reopened.purgeTo("mysql-bin.000004")).isEqualTo(AppendResult.APPENDED);
            assertThat(reopened.files()).extracting(BinlogFile::name).containsExactly("mysql-bin.000004");
            assertThat(reopened.append(List.of(chunkOf("mysql-bin.000004", 3, 5)))).isEqualTo(AppendResult.APPENDED);
        }
        try (BinlogStore reopened = BinlogStore.open(dir)) {
            assertThat(reopened.files()).extracting(BinlogFile::name).containsExactly("mysql-bin.000004");
            List<byte[]> read = readAll(reopened.open("mysql-bin.000004", 4));
            assertThat(read).hasSize(5);
            assertThat(read.get(4)).isEqualTo(events.get(4));
        }
    }

    @Test
    void aChunkOverlappingTheHeldEndAddsOnlyWhatIsMissingAndOneSplittingAnEventIsRefused() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 5)));
            assertThat(store.append(List.of(chunk(3, 8)))).isEqualTo(AppendResult.APPENDED);
            assertThat(store.lastFile().orElseThrow().endPosition()).isEqualTo(position(8));
            List<byte[]> read = readAll(store.open(FILE, 4));
            assertThat(read).hasSize(8);
            for (int i = 0; i < 8; i++) {
                assertThat(read.get(i)).as("event %d", i).isEqualTo(events.get(i));
            }
            Chunk split = new Chunk(FILE, position(7) + 1, java.util.Arrays.copyOfRange(
                    FixtureEvents.concat(events, 7, 10), 1, FixtureEvents.concat(events, 7, 10).length));
            assertThat(store.append(List.of(split))).isEqualTo(AppendResult.REJECTED);
            assertThat(store.lastFile().orElseThrow().endPosition()).isEqualTo(position(8));
        }
    }

    /** {@code bytes} between {@code pad} bytes of 0x7F before and after. */
    private static byte[] padded(byte[] bytes, int pad) {
        byte[] buffer = new byte[pad + bytes.length + pad];
        java.util.Arrays.fill(buffer, (byte) 0x7F);
        System.arraycopy(bytes, 0, buffer, pad, bytes.length);
        return buffer;
    }

    @Test
    void chunksThatAreRangesOfALargerBufferStoreOnlyTheirOwnBytes() throws Exception {
        byte[] first = FixtureEvents.concat(events, 0, 5);
        byte[] overlapping = FixtureEvents.concat(events, 3, 10);
        try (BinlogStore store = BinlogStore.open(dir)) {
            assertThat(store.append(List.of(new Chunk(FILE, position(0), padded(first, 9), 9, first.length))))
                    .isEqualTo(AppendResult.APPENDED);
            assertThat(store.lastFile().orElseThrow().endPosition()).isEqualTo(position(5));
            // Overlaps the held end: only the part after it is taken, still from inside the larger buffer.
            assertThat(store.append(List.of(new Chunk(FILE, position(3), padded(overlapping, 5), 5,
                    overlapping.length)))).isEqualTo(AppendResult.APPENDED);
            assertThat(store.lastFile().orElseThrow().endPosition()).isEqualTo(position(10));
            assertThat(store.gtidState().toString()).isEqualTo("0-1-3");
            store.sync();
        }
        try (BinlogStore reopened = BinlogStore.open(dir)) {
            List<byte[]> read = readAll(reopened.open(FILE, 4));
            assertThat(read).hasSize(10);
            for (int i = 0; i < 10; i++) {
                assertThat(read.get(i)).as("event %d", i).isEqualTo(events.get(i));
            }
        }
    }

    @Test
    void discardAllEmptiesTheStoreForGoodAndItStartsOverFromAnyFile() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 10)));
            store.append(List.of(chunkOf("mysql-bin.000002", 0, 4)));
            store.discardAll();
            assertThat(store.files()).isEmpty();
            assertThat(store.gtidState()).isEqualTo(GtidList.EMPTY);
            assertThat(store.append(List.of(chunkOf("mysql-bin.000007", 0, 5)))).isEqualTo(AppendResult.APPENDED);
        }
        try (BinlogStore reopened = BinlogStore.open(dir)) {
            assertThat(reopened.files()).extracting(BinlogFile::name).containsExactly("mysql-bin.000007");
            assertThat(readAll(reopened.open("mysql-bin.000007", 4))).hasSize(5);
            assertThat(reopened.verifyAll()).isTrue();
        }
    }

    @Test
    void aLargeChunkIsStoredAsSegmentsOfWholeEventsUpToOneMebibyte() throws Exception {
        // A whole 5 MB transaction in one Raft entry: 3 events of 300 KB, 2 more, one of 2.5 MB, 3 of 300 KB.
        List<byte[]> big = new ArrayList<>();
        long position = position(3);
        int[] sizes = {300_000, 300_000, 300_000, 300_000, 300_000, 2_500_000, 300_000, 300_000, 300_000};
        for (int i = 0; i < sizes.length; i++) {
            byte[] event = syntheticEvent(position, sizes[i], (byte) i);
            big.add(event);
            position += event.length;
        }
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 3)));
            assertThat(store.append(List.of(new Chunk(FILE, position(3), FixtureEvents.concat(big, 0, big.size())))))
                    .isEqualTo(AppendResult.APPENDED);
            // 1 segment for the first chunk, then [3 x 300 KB] [2 x 300 KB] [2.5 MB alone] [3 x 300 KB]
            assertThat(store.segmentsOf(FILE)).isEqualTo(5);
            assertThat(store.lastFile().orElseThrow().endPosition()).isEqualTo(position);
            assertThat(readAll(store.open(FILE, position(3)))).containsExactlyElementsOf(big);
        }
        try (BinlogStore reopened = BinlogStore.open(dir, 0)) {
            assertThat(reopened.verifyAll()).isTrue();
            List<byte[]> read = readAll(reopened.open(FILE, 4));
            assertThat(read.subList(3, read.size())).containsExactlyElementsOf(big);
            // every event boundary inside the chunk is a valid start, the segments' too
            long sixth = position(3) + 5 * 300_000L;
            assertThat(readAll(reopened.open(FILE, sixth)).get(0)).isEqualTo(big.get(5));
        }
    }

    /** An event with a valid v4 header (WRITE_ROWS_EVENT_V1, log_pos = its end) and {@code fill} as its body. */
    private static byte[] syntheticEvent(long position, int size, byte fill) {
        byte[] event = new byte[size];
        java.util.Arrays.fill(event, fill);
        java.nio.ByteBuffer header = java.nio.ByteBuffer.wrap(event).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        header.putInt(0, 0).put(4, (byte) 23).putInt(5, 1).putInt(9, size).putInt(13, (int) (position + size))
                .putShort(17, (short) 0);
        return event;
    }

    private static List<byte[]> readAll(EventCursor cursor) {
        List<byte[]> read = new ArrayList<>();
        for (StoredEvent event = cursor.next(); event != null; event = cursor.next()) {
            read.add(event.bytes());
        }
        cursor.close();
        return read;
    }

    /** Segment 0 holds events 0-2, segment 1 events 3-9. */
    private void storeTwoSegments() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir)) {
            assertThat(store.append(List.of(chunk(0, 3)))).isEqualTo(AppendResult.APPENDED);
            assertThat(store.append(List.of(chunk(3, 10)))).isEqualTo(AppendResult.APPENDED);
        }
    }

    /** Flips one byte in the middle of {@code needle} wherever it is stored under the store's data files. */
    private Path damageOnDisk(byte[] needle) throws Exception {
        List<Path> files;
        try (var walk = java.nio.file.Files.walk(dir.resolve("infinispan").resolve("data"))) {
            files = walk.filter(java.nio.file.Files::isRegularFile).toList();
        }
        for (Path file : files) {
            byte[] bytes = java.nio.file.Files.readAllBytes(file);
            for (int at = 0; at + needle.length <= bytes.length; at++) {
                if (java.util.Arrays.equals(bytes, at, at + needle.length, needle, 0, needle.length)) {
                    bytes[at + needle.length / 2] ^= 0x5A;
                    java.nio.file.Files.write(file, bytes);
                    return file;
                }
            }
        }
        throw new AssertionError("the events are not stored verbatim in any data file: " + files);
    }

    @Test
    void damagedBytesOnDiskStopTheStoreFromOpeningWithAMessageNamingTheDataDirectory() throws Exception {
        storeTwoSegments();
        damageOnDisk(FixtureEvents.concat(events, 3, 10));
        assertThatThrownBy(() -> BinlogStore.open(dir))
                .isInstanceOf(StoreCorruptException.class)
                .hasMessageContaining(dir.resolve("infinispan").resolve("data").toAbsolutePath().toString())
                .hasMessageContaining("'" + FILE + "'")
                .hasMessageContaining("checksum");
    }

    @Test
    void damageBeyondTheCheckAtOpenIsFoundOnReadAndByVerifyAndNothingIsServedAfter() throws Exception {
        storeTwoSegments();
        damageOnDisk(FixtureEvents.concat(events, 0, 3));
        try (BinlogStore store = BinlogStore.open(dir, 0)) {
            assertThat(store.damage()).isNull();
            EventCursor cursor = store.open(FILE, position(3)); // the undamaged segment
            assertThat(cursor.next().bytes()).isEqualTo(events.get(3));
            assertThatThrownBy(() -> readAll(store.open(FILE, 4)))
                    .isInstanceOf(StoreCorruptException.class)
                    .hasMessageContaining("segment 0");
            assertThat(store.verifyUncheckedAtOpen()).isFalse(); // segment 0 is older than the check at open
            assertThat(store.verifyAll()).isFalse();
            assertThat(store.damage()).isNotNull();
            assertThatThrownBy(() -> store.open(FILE, position(3))).isInstanceOf(StoreCorruptException.class);
            // Raft keeps applying committed entries: appends go on, only reads are refused.
            assertThat(events).hasSizeGreaterThan(11);
            assertThat(store.append(List.of(chunk(10, 12)))).isEqualTo(AppendResult.APPENDED);
        }
        // The damage is remembered: a restart that would check only the newest segments refuses too.
        assertThatThrownBy(() -> BinlogStore.open(dir, 0))
                .isInstanceOf(StoreCorruptException.class)
                .hasMessageContaining("segment 0");
    }

    /** Three 400 KB events of repeated bytes after the fixture's first three: compressible, two segments. */
    private List<byte[]> compressibleEvents() {
        List<byte[]> big = new ArrayList<>();
        long position = position(3);
        for (int i = 0; i < 3; i++) {
            byte[] event = syntheticEvent(position, 400_000, (byte) ('a' + i));
            big.add(event);
            position += event.length;
        }
        return big;
    }

    /**
     * What a kill -9 leaves: the files as the kernel holds them, copied while the store runs, the last write cut
     * short. The appends after the last sync are invisible there, and applying them again (as the Raft log does)
     * gives every byte back, over the torn record too.
     */
    @Test
    void aCrashLosesOnlyTheAppendsAfterTheLastSyncAndTheyCanBeAppliedAgain() throws Exception {
        Path crashed = dir.resolveSibling(dir.getFileName() + "-crashed");
        Path crashedAgain = dir.resolveSibling(dir.getFileName() + "-crashed-again");
        String stateAtSync;
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 3)));
            store.append(List.of(chunk(3, 6)));
            store.sync();
            stateAtSync = store.gtidState().toString();
            store.append(List.of(chunk(6, 8)));
            store.append(List.of(chunk(8, 10)));
            assertThat(store.gtidState().toString()).isNotEqualTo(stateAtSync);
            assertThat(readAll(store.open(FILE, 4))).as("readers see appends before any sync")
                    .containsExactlyElementsOf(events.subList(0, 10));
            Processes.copyTree(dir, crashed);
        }
        tearLastRecord(crashed); // the kill came in the middle of the last write
        try (BinlogStore afterCrash = BinlogStore.open(crashed)) {
            assertThat(afterCrash.lastFile().orElseThrow().endPosition()).as("the end at the last sync")
                    .isEqualTo(position(6));
            assertThat(afterCrash.gtidState().toString()).isEqualTo(stateAtSync);
            assertThat(afterCrash.append(List.of(chunk(3, 6), chunk(6, 8)))).isEqualTo(AppendResult.APPENDED);
            assertThat(afterCrash.append(List.of(chunk(8, 10)))).isEqualTo(AppendResult.APPENDED);
            assertThat(readAll(afterCrash.open(FILE, 4))).containsExactlyElementsOf(events.subList(0, 10));
            afterCrash.sync();
            Processes.copyTree(crashed, crashedAgain);
        }
        try (BinlogStore afterSecondCrash = BinlogStore.open(crashedAgain)) {
            assertThat(afterSecondCrash.lastFile().orElseThrow().endPosition()).as("synced, over the torn record")
                    .isEqualTo(position(10));
            assertThat(readAll(afterSecondCrash.open(FILE, 4))).containsExactlyElementsOf(events.subList(0, 10));
        }
        try (BinlogStore reopened = BinlogStore.open(crashed)) {
            assertThat(reopened.lastFile().orElseThrow().endPosition()).as("a clean close syncs")
                    .isEqualTo(position(10));
            assertThat(reopened.gtidState().toString()).isEqualTo("0-1-3");
            assertThat(readAll(reopened.open(FILE, 4))).containsExactlyElementsOf(events.subList(0, 10));
        }
    }

    @Test
    void aStateRecordCutShortByACrashLeavesItsCopyFromTheSyncBefore() throws Exception {
        Path crashed = dir.resolveSibling(dir.getFileName() + "-crashed");
        long beforeSecondSync;
        long afterSecondSync;
        Path dataFile;
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 3)));
            store.sync();
            store.append(List.of(chunk(3, 6)));
            dataFile = newestDataFile(dir);
            beforeSecondSync = Files.size(dataFile);
            store.sync(); // the state record of position(6), then its copy: the last two records of the file
            assertThat(newestDataFile(dir)).isEqualTo(dataFile);
            afterSecondSync = Files.size(dataFile);
            Processes.copyTree(dir, crashed);
        }
        // The two records differ only in their keys, "state" and "state-copy": 5 bytes.
        long stateRecordLength = (afterSecondSync - beforeSecondSync - 5) / 2;
        Path crashedFile = crashed.resolve(dir.relativize(dataFile));
        try (var channel = java.nio.channels.FileChannel.open(crashedFile, java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(beforeSecondSync + stateRecordLength - 5); // the kill came inside the state record
        }
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(BinlogStore.class.getName());
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                if (record.getLevel() == java.util.logging.Level.WARNING) {
                    warnings.add(record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(handler);
        try (BinlogStore afterCrash = BinlogStore.open(crashed)) {
            assertThat(warnings).as("the torn record was read, and its copy used").singleElement()
                    .asString().contains("state record", "using its copy");
            assertThat(afterCrash.lastFile().orElseThrow().endPosition()).as("the end at the sync before")
                    .isEqualTo(position(3));
            assertThat(afterCrash.append(List.of(chunk(3, 6)))).isEqualTo(AppendResult.APPENDED);
            assertThat(readAll(afterCrash.open(FILE, 4))).containsExactlyElementsOf(events.subList(0, 6));
        } finally {
            log.removeHandler(handler);
        }
        try (BinlogStore reopened = BinlogStore.open(crashed)) {
            assertThat(reopened.lastFile().orElseThrow().endPosition()).isEqualTo(position(6));
            assertThat(readAll(reopened.open(FILE, 4))).containsExactlyElementsOf(events.subList(0, 6));
        }
        assertThat(warnings).as("the close wrote both records whole").hasSize(1);
    }

    /** Cuts the newest Infinispan data file under {@code dir} 5 bytes short, inside its last record's value. */
    private static void tearLastRecord(Path dir) throws IOException {
        try (var channel = java.nio.channels.FileChannel.open(newestDataFile(dir),
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 5);
        }
    }

    /** The Infinispan data file under {@code dir} written last. */
    private static Path newestDataFile(Path dir) throws IOException {
        try (var walk = Files.walk(dir.resolve("infinispan/data"))) {
            return walk.filter(Files::isRegularFile).filter(f -> f.toFile().length() > 0)
                    .max(java.util.Comparator.comparingInt(f -> Integer.parseInt(f.getFileName().toString())))
                    .orElseThrow(); // the file store numbers its data files in the order it starts them
        }
    }

    @Test
    void compressedSegmentsAreReadBackByteForByteAndMixWithPlainOnesAcrossRestarts() throws Exception {
        List<byte[]> big = compressibleEvents();
        byte[] bigBytes = FixtureEvents.concat(big, 0, big.size());
        long afterBig = position(3) + bigBytes.length;
        try (BinlogStore store = BinlogStore.open(dir).zstdLevel(3)) {
            store.append(List.of(chunk(0, 3)));
            store.append(List.of(new Chunk(FILE, position(3), bigBytes)));
            assertThat(readAll(store.open(FILE, position(3)))).containsExactlyElementsOf(big);
            assertThat(store.bytesHeld()).isGreaterThan(1_200_000);
            assertThat(store.diskBytes()).as("bytes on disk with 1.2 MB of compressible events held")
                    .isLessThan(store.bytesHeld() / 4);
            store.sync();
            assertThat(store.storedStateFormat()).as("refused by a Kingbus that reads format 3 only").isEqualTo(4);
        }
        assertThatThrownBy(() -> damageOnDisk(big.get(1))).as("no event is stored verbatim")
                .isInstanceOf(AssertionError.class).hasMessageContaining("not stored verbatim");
        // Restarted without compression: the compressed segments still read, new ones are stored plain.
        byte[] tail = syntheticEvent(afterBig, 1_000, (byte) 'z');
        try (BinlogStore reopened = BinlogStore.open(dir, Long.MAX_VALUE)) {
            assertThat(reopened.append(List.of(new Chunk(FILE, afterBig, tail)))).isEqualTo(AppendResult.APPENDED);
            List<byte[]> read = readAll(reopened.open(FILE, 4));
            assertThat(read.subList(0, 3)).containsExactlyElementsOf(events.subList(0, 3));
            assertThat(read.subList(3, 6)).containsExactlyElementsOf(big);
            assertThat(read.get(6)).isEqualTo(tail);
            assertThat(reopened.storedStateFormat()).as("format 4 for good: compressed segments remain").isEqualTo(4);
        }
        damageOnDisk(tail); // the plain segment is there verbatim
    }

    @Test
    void damageInACompressedSegmentIsFoundByItsChecksum() throws Exception {
        List<byte[]> big = compressibleEvents();
        byte[] bigBytes = FixtureEvents.concat(big, 0, big.size());
        try (BinlogStore store = BinlogStore.open(dir).zstdLevel(3)) {
            store.append(List.of(chunk(0, 3)));
            store.append(List.of(new Chunk(FILE, position(3), bigBytes)));
        }
        // The stored frame of the first segment of the chunk (events 0 and 1 of it: 800 KB), as the store made it.
        byte[] firstSegmentEvents = FixtureEvents.concat(big, 0, 2);
        byte[] frame = new byte[(int) com.github.luben.zstd.Zstd.compressBound(firstSegmentEvents.length)];
        long size = com.github.luben.zstd.Zstd.compressByteArray(frame, 0, frame.length, firstSegmentEvents, 0,
                firstSegmentEvents.length, 3, true);
        damageOnDisk(java.util.Arrays.copyOf(frame, (int) size));
        assertThatThrownBy(() -> BinlogStore.open(dir))
                .isInstanceOf(StoreCorruptException.class)
                .hasMessageContaining("segment 1 (binlog file '" + FILE + "'")
                .hasMessageContaining("fails its checksum");
    }

    /**
     * A node stopped while its background check of the older segments runs (a stop right after a start, say) must
     * not find damage that is not there: Infinispan stopping under a read is not a missing segment, and a store
     * wrongly marked damaged refuses every later start.
     */
    @Test
    void closingTheStoreWhileItIsBeingVerifiedNeverMarksItDamaged() throws Exception {
        long position = position(3);
        try (BinlogStore store = BinlogStore.open(dir)) {
            store.append(List.of(chunk(0, 3)));
            for (int i = 0; i < 300; i++) {
                byte[] event = syntheticEvent(position, 64_000, (byte) i);
                assertThat(store.append(List.of(new Chunk(FILE, position, event)))).isEqualTo(AppendResult.APPENDED);
                position += event.length;
            }
        }
        for (int round = 0; round < 12; round++) {
            BinlogStore store = BinlogStore.open(dir, 0);
            Thread verifier = new Thread(store::verifyAll);
            verifier.start();
            Thread.sleep(round * 5L);
            store.close();
            verifier.join(30_000);
            assertThat(dir.resolve("infinispan").resolve(BinlogStore.DAMAGE_MARKER))
                    .as("round %d: no damage marker", round).doesNotExist();
        }
        try (BinlogStore reopened = BinlogStore.open(dir, 0)) {
            assertThat(reopened.verifyAll()).isTrue();
            assertThat(reopened.lastFile().orElseThrow().endPosition()).isEqualTo(position);
        }
    }

    @Test
    void verifyPassesOnAnIntactStore() throws Exception {
        storeTwoSegments();
        try (BinlogStore store = BinlogStore.open(dir, 0)) {
            assertThat(store.verifyAll()).isTrue();
            assertThat(store.damage()).isNull();
        }
    }
}
