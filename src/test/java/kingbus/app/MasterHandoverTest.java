package kingbus.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MasterHandoverTest {

    @Test
    void failedProbesComeLessOftenUpToAMinuteAndOneThatGetsInStartsOver() {
        Duration interval = MasterHandover.PROBE_INTERVAL;
        long waited = 0;
        int probes = 0;
        while (probes < 100) {
            waited += interval.toSeconds();
            probes++;
            interval = MasterHandover.nextProbeInterval(interval, false);
            assertThat(interval).isLessThanOrEqualTo(MasterHandover.MAX_PROBE_INTERVAL);
        }
        assertThat(interval).isEqualTo(MasterHandover.MAX_PROBE_INTERVAL);
        // A hung master counts each timed-out probe against max_connect_errors (100 by default): not within the hour.
        assertThat(Duration.ofSeconds(waited)).isGreaterThan(Duration.ofMinutes(90));
        assertThat(MasterHandover.nextProbeInterval(interval, true)).isEqualTo(MasterHandover.PROBE_INTERVAL);
    }
}
