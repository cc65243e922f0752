package kingbus.testing;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Closes what a test started, last started first, and reports (without throwing) what failed to close. As a
 * field with {@code @RegisterExtension} it closes everything after each test; a class that shares what it starts
 * across its tests closes it itself ({@code @AfterAll}). Not thread-safe: one test's thread adds.
 */
public final class Cleanup implements AutoCloseable, AfterEachCallback {

    private final List<AutoCloseable> resources = new ArrayList<>();

    /** Registers {@code resource} and returns it. */
    public <T extends AutoCloseable> T add(T resource) {
        resources.add(0, resource);
        return resource;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                System.err.println("cleanup: " + e);
            }
        }
        resources.clear();
    }
}
