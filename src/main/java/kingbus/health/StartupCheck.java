package kingbus.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import kingbus.app.KingbusNode;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/**
 * Started means the start sequence (settings, store, Raft, listener) has run to its end, whether
 * or not it succeeded: readiness says whether the node can serve.
 *
 * <p>Stateless; thread-safe.
 */
@Startup
@ApplicationScoped
public class StartupCheck implements HealthCheck {

    @Inject
    KingbusNode node;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("kingbus-started").status(node.isStarted()).build();
    }
}
