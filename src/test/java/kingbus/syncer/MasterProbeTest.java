package kingbus.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import kingbus.gtid.GtidList;
import kingbus.raft.MasterChoice;
import kingbus.testing.Ports;
import org.junit.jupiter.api.Test;

class MasterProbeTest {

    @Test
    void aMasterMissesWhatItIsBehindInAnyDomainTheClusterHolds() {
        GtidList held = GtidList.parse("0-1-100,1-1-7");
        assertThat(MasterProbe.missing(held, GtidList.parse("0-2-150,1-1-7"))).isEmpty();
        assertThat(MasterProbe.missing(held, GtidList.parse("0-1-99,1-1-8"))).containsExactly("0-1-100");
        assertThat(MasterProbe.missing(held, GtidList.parse("0-1-100"))).containsExactly("1-1-7");
        assertThat(MasterProbe.missing(held, GtidList.EMPTY)).containsExactly("0-1-100", "1-1-7");
        assertThat(MasterProbe.missing(GtidList.EMPTY, GtidList.EMPTY)).isEmpty();
    }

    @Test
    void aMasterThatDoesNotAnswerIsNamedInTheProblem() {
        int port = Ports.free();
        BinlogSyncer.Settings settings = new BinlogSyncer.Settings("127.0.0.1", port, "repl", "secret", 99,
                Duration.ofSeconds(1), 1 << 20, 4, Duration.ofMillis(100), Duration.ofSeconds(1));
        assertThat(MasterProbe.problemWith(new MasterChoice("127.0.0.1", port), settings, GtidList.EMPTY))
                .hasValueSatisfying(problem -> assertThat(problem).startsWith("127.0.0.1:" + port)
                        .contains("cannot be queried").doesNotContain("secret"));
    }
}
