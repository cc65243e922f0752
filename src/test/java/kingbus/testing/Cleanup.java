package kingbus.testing;

import java.util.ArrayList;
import java.util.List;

/** Closes what a test started, last started first, and reports (without throwing) what failed to close. */
public final class Cleanup implements AutoCloseable {

    private final List<AutoCloseable> resources = new ArrayList<>();

    /** Registers {@code resource} and returns it. */
    public <T extends AutoCloseable> T add(T resource) {
        resources.add(0, resource);
        return resource;
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
