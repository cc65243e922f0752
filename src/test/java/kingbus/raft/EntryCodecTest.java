package kingbus.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import kingbus.store.Chunk;
import org.junit.jupiter.api.Test;

class EntryCodecTest {

    @Test
    void theBuilderMergesContiguousRangesAndEncodesLikeTheChunkForm() {
        byte[] a = {1, 2, 3, 4, 5};
        byte[] b = {6, 7, 8};
        byte[] c = {9, 9};
        byte[] built = new EntryCodec.BinlogEntryBuilder()
                .add("mysql-bin.000001", 100, a, 1, 3) // 2,3,4 at 100..103
                .add("mysql-bin.000001", 103, b, 0, 3) // contiguous: same chunk
                .add("mysql-bin.000002", 4, c, 0, 2)   // another file: a new chunk
                .add("mysql-bin.000002", 10, a, 0, 1)  // a gap: a new chunk
                .build();
        byte[] expected = EntryCodec.binlog(List.of(
                new Chunk("mysql-bin.000001", 100, new byte[] {2, 3, 4, 6, 7, 8}),
                new Chunk("mysql-bin.000002", 4, new byte[] {9, 9}),
                new Chunk("mysql-bin.000002", 10, new byte[] {1})));
        assertThat(built).isEqualTo(expected);
        List<Chunk> chunks = EntryCodec.chunks(built, 0, built.length);
        assertThat(chunks).hasSize(3);
        assertThat(chunks.get(0).events()).containsExactly(2, 3, 4, 6, 7, 8);
        assertThat(chunks.get(2).startPosition()).isEqualTo(10);
        assertThat(new EntryCodec.BinlogEntryBuilder().isEmpty()).isTrue();
    }

    @Test
    void decodedChunksAreRangesOfTheEntryNotCopies() {
        byte[] entry = EntryCodec.binlog(List.of(
                new Chunk("mysql-bin.000001", 100, new byte[] {2, 3, 4}),
                new Chunk("mysql-bin.000002", 4, new byte[] {9, 9})));
        byte[] framed = new byte[3 + entry.length + 2]; // as RAFT hands an entry: a range of a larger array
        System.arraycopy(entry, 0, framed, 3, entry.length);
        List<Chunk> chunks = EntryCodec.chunks(framed, 3, entry.length);
        assertThat(chunks).hasSize(2);
        assertThat(chunks.get(0).buffer()).isSameAs(framed);
        assertThat(chunks.get(0).events()).containsExactly(2, 3, 4);
        assertThat(chunks.get(0).endPosition()).isEqualTo(103);
        assertThat(chunks.get(1).buffer()).isSameAs(framed);
        assertThat(chunks.get(1).file()).isEqualTo("mysql-bin.000002");
        assertThat(chunks.get(1).events()).containsExactly(9, 9);
        assertThat(EntryCodec.binlog(chunks)).as("encodes back to the same entry").isEqualTo(entry);
    }

    @Test
    void anEntryWhoseChunkClaimsMoreBytesThanItHoldsIsRefused() {
        byte[] entry = legacy(EntryCodec.binlog(List.of(new Chunk("mysql-bin.000001", 100, new byte[] {2, 3, 4}))));
        assertThatThrownBy(() -> EntryCodec.chunks(entry, 0, entry.length - 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be decoded");
    }

    @Test
    void anEntryWithAnyByteChangedAfterItWasBuiltIsRefused() {
        byte[] entry = new EntryCodec.BinlogEntryBuilder().add("mysql-bin.000001", 100, new byte[] {2, 3, 4}, 0, 3)
                .build();
        assertThat(EntryCodec.kind(entry, 0)).isEqualTo(EntryCodec.BINLOG_CHECKED);
        for (int i = 1; i < entry.length; i++) {
            byte[] damaged = entry.clone();
            damaged[i] ^= 0x10;
            assertThatThrownBy(() -> EntryCodec.chunks(damaged, 0, damaged.length)).as("byte %d changed", i)
                    .isInstanceOf(RaftEntryCorruptException.class).hasMessageContaining("fails its CRC-32C");
        }
        assertThatThrownBy(() -> EntryCodec.chunks(entry, 0, entry.length - 1)).as("cut short")
                .isInstanceOf(RaftEntryCorruptException.class);
    }

    @Test
    void aBinlogEntryOfALogWrittenBeforeTheChecksumIsStillRead() {
        byte[] old = legacy(EntryCodec.binlog(List.of(new Chunk("mysql-bin.000001", 100, new byte[] {2, 3, 4}),
                new Chunk("mysql-bin.000002", 4, new byte[] {9, 9}))));
        assertThat(EntryCodec.isBinlog(EntryCodec.kind(old, 0))).isTrue();
        List<Chunk> chunks = EntryCodec.chunks(old, 0, old.length);
        assertThat(chunks).hasSize(2);
        assertThat(chunks.get(1).events()).containsExactly(9, 9);
    }

    /** The same entry as a BINLOG entry, as Kingbus wrote them before the checksum: kind 1, no CRC at the end. */
    private static byte[] legacy(byte[] checked) {
        byte[] old = java.util.Arrays.copyOf(checked, checked.length - Integer.BYTES);
        old[0] = EntryCodec.BINLOG;
        return old;
    }

    @Test
    void aMasterEntryCarriesTheChoiceOrItsClearing() {
        MasterChoice choice = new MasterChoice("10.0.0.7", 3306);
        byte[] entry = EntryCodec.master(choice);
        assertThat(EntryCodec.kind(entry, 0)).isEqualTo(EntryCodec.MASTER);
        assertThat(EntryCodec.isBinlog(EntryCodec.MASTER)).isFalse();
        assertThat(EntryCodec.masterOf(entry, 0, entry.length)).isEqualTo(choice);
        byte[] cleared = EntryCodec.master(null);
        assertThat(EntryCodec.masterOf(cleared, 0, cleared.length)).isNull();
        assertThatThrownBy(() -> EntryCodec.masterOf(entry, 0, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aMasterChoiceIsAHostAndAPort() {
        assertThat(new MasterChoice("::1", 3306)).hasToString("[::1]:3306");
        assertThat(new MasterChoice("db1", 1)).hasToString("db1:1");
        for (String host : new String[] {"", " db1", "db 1", "user@db1", "db1/x", "x".repeat(254)}) {
            assertThatThrownBy(() -> new MasterChoice(host, 3306)).as(host)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> new MasterChoice(null, 3306)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MasterChoice("db1", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MasterChoice("db1", 65536)).isInstanceOf(IllegalArgumentException.class);
    }
}
