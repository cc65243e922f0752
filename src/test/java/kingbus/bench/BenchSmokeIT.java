package kingbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CI-sized benchmark ({@code bench/all --quick}, and part of {@code mvn verify}): the suite of
 * {@link Bench} on 100 MB of binlog with 10 readers, failing when a ratio falls below half of its
 * target, so a change that halves throughput does not land silently.
 */
class BenchSmokeIT {

    @Test
    void ratiosStayAboveHalfTheirTargets() throws Exception {
        Map<String, Bench.Result> results;
        try (Bench bench = new Bench(Bench.Settings.fromSystemProperties("P1,P2,P3", 100, 32, 10, 32))) {
            try {
                bench.run();
            } catch (Exception | AssertionError e) {
                bench.diagnostics();
                throw e;
            }
            results = bench.results();
        }
        results.values().forEach(r -> System.out.println("SMOKE " + r));
        assertThat(results.get("P1 ingest").ratio()).as("P1 ingest ratio (target 1.5)").isGreaterThanOrEqualTo(0.75);
        assertThat(results.get("P2 serve one").ratio()).as("P2 serve-one ratio (target 1.2)").isGreaterThanOrEqualTo(0.6);
        assertThat(results.get("P3 fan-out").ratio()).as("P3 fan-out ratio (target 2)").isGreaterThanOrEqualTo(1.0);
        assertThat(results.get("P3 fan-out").kingbus()).as("the master sees one connection")
                .contains("dump connections on the master: 1)");
    }
}
