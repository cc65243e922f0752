package kingbus.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import kingbus.app.KingbusNode;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

/**
 * Live means the process is worth keeping: it answers, and its binlog store is not damaged (a
 * damaged store needs an operator; the reason names the data directory). A node that is merely not ready (no leader, master down, bad
 * setting) is still live, so an orchestrator does not restart it in a loop.
 *
 * <p>Stateless; thread-safe.
 */
@Liveness
@ApplicationScoped
public class LivenessCheck implements HealthCheck {

    @Inject
    KingbusNode node;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("kingbus-live")
                .withData("started", node.isStarted());
        Optional<String> damage = node.storeDamage();
        damage.ifPresent(reason -> response.withData("reason", reason));
        return response.status(damage.isEmpty()).build();
    }
}
