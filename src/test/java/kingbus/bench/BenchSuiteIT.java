package kingbus.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The full benchmark suite of issue 7 (see {@link Bench}); runs only when {@code kingbus.bench.parts} is
 * set, as the {@code bench/} scripts do: {@code bench/all}, {@code bench/ingest.sh}, ... Records, it does
 * not judge: a missed target is written to docs/BENCHMARKS.md, not failed.
 */
class BenchSuiteIT {

    @Test
    @EnabledIfSystemProperty(named = "kingbus.bench.parts", matches = ".+")
    void suite() throws Exception {
        try (Bench bench = new Bench(Bench.Settings.fromSystemProperties("P1,P2,P3,P6,P4", 1024, 256, 50, 256))) {
            try {
                bench.run();
            } catch (Exception | AssertionError e) {
                bench.diagnostics();
                throw e;
            }
        }
    }
}
