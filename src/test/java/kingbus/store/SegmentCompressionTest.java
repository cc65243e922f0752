package kingbus.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SegmentCompressionTest {

    private static final int HEADER = 16;

    private static byte[] plainSegment(int ordinal, long start, byte[] events) {
        return ByteBuffer.allocate(HEADER + events.length).putInt(ordinal).putLong(start).putInt(0).put(events)
                .array();
    }

    @Test
    void roundTripKeepsTheHeaderAndTheEventsExactly() {
        byte[] events = new byte[200_000];
        for (int i = 0; i < events.length; i++) {
            events[i] = (byte) (i % 251 < 40 ? i : 7);
        }
        byte[] plain = plainSegment(12, 123_456_789L, events);
        byte[] stored = SegmentCompression.compress(plain, HEADER, 3);
        assertThat(stored.length).isLessThan(plain.length / 2);
        assertThat(SegmentCompression.isCompressed(stored)).isTrue();
        assertThat(SegmentCompression.isCompressed(plain)).isFalse();
        assertThat(SegmentCompression.decompress(stored, HEADER)).isEqualTo(plain);
    }

    @Test
    void incompressibleEventsAreKeptAsTheyAre() {
        byte[] events = new byte[100_000];
        new Random(7).nextBytes(events);
        byte[] plain = plainSegment(3, 4, events);
        assertThat(SegmentCompression.compress(plain, HEADER, 3)).isSameAs(plain);
    }

    @Test
    void aDamagedFrameOrLengthIsRefusedNotServed() {
        byte[] events = new byte[50_000];
        Arrays.fill(events, (byte) 'x');
        byte[] stored = SegmentCompression.compress(plainSegment(1, 4, events), HEADER, 3);
        byte[] badFrame = stored.clone();
        badFrame[badFrame.length - 6] ^= 0x21; // inside the frame's last block or its content checksum
        assertThatThrownBy(() -> SegmentCompression.decompress(badFrame, HEADER))
                .isInstanceOf(StoreCorruptException.class).hasMessageContaining("zstd frame");
        byte[] badLength = stored.clone();
        ByteBuffer.wrap(badLength).putInt(HEADER, 50_001);
        assertThatThrownBy(() -> SegmentCompression.decompress(badLength, HEADER))
                .isInstanceOf(StoreCorruptException.class).hasMessageContaining("50001");
        assertThatThrownBy(() -> SegmentCompression.decompress(Arrays.copyOf(stored, HEADER + 2), HEADER))
                .isInstanceOf(StoreCorruptException.class).hasMessageContaining("truncated");
    }
}
