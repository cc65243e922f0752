package kingbus.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import kingbus.app.KingbusNode;
import kingbus.raft.RaftNode;
import kingbus.syncer.BinlogSyncer;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready means this node can serve replicas correct data: the settings are valid, the store is open,
 * it is a Raft member with a known leader (not out of the group because its disk filled up while it
 * led), its appends are not waiting for disk space, it has applied what it knows to be committed (a follower
 * behind for longer than {@code kingbus.raft.max-apply-lag-seconds} is catching up and not
 * ready), the MySQL listener is up, and, on the leader with a
 * master configured, the syncer is not failing (e.g. refused credentials). Each reason for "not
 * ready" is in the response data.
 *
 * <p>Stateless; thread-safe.
 */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {

    @Inject
    KingbusNode node;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("kingbus");
        List<String> reasons = new ArrayList<>(node.startupProblems());
        if (!node.isStarted()) {
            reasons.add("still starting");
        }
        node.storeDamage().filter(damage -> !reasons.toString().contains(damage)).ifPresent(reasons::add);
        boolean storeOpen = node.store().map(s -> s.isOpen()).orElse(false);
        response.withData("store", storeOpen ? "open" : "closed");
        if (!storeOpen && reasons.isEmpty()) {
            reasons.add("the binlog store is not open");
        }
        node.store().flatMap(s -> s.writeBlocked()).ifPresent(reasons::add);
        Optional<String> outOfGroup = node.outOfGroup();
        outOfGroup.ifPresent(reasons::add);
        RaftNode raft = node.raft().orElse(null);
        if (raft != null) {
            response.withData("raft.leader", String.valueOf(raft.leaderId()));
            response.withData("raft.role", raft.isLeader() ? "leader" : "follower");
            response.withData("raft.term", raft.term());
            response.withData("raft.commitIndex", raft.knownCommitIndex());
            response.withData("raft.appliedIndex", raft.lastApplied());
            long lagMillis = raft.applyLagMillis();
            response.withData("raft.applyLagMillis", lagMillis);
            if (outOfGroup.isPresent()) {
                response.withData("raft.role", "out of the group");
            } else if (!raft.hasLeader()) {
                reasons.add("no Raft leader is known");
            } else if (lagMillis > node.config().raftMaxApplyLag().toMillis()) {
                reasons.add("catching up: applied Raft index " + raft.lastApplied() + " of " + raft.knownCommitIndex()
                        + " committed, behind for " + lagMillis / 1000 + " s");
            }
        } else if (reasons.isEmpty()) {
            reasons.add("Raft is not running");
        }
        boolean listening = node.server().map(s -> s.isListening()).orElse(false);
        response.withData("mysql.listener", listening ? "listening" : "down");
        if (!listening && node.isStarted() && node.startupProblems().isEmpty()) {
            reasons.add("the MySQL listener is not up");
        }
        BinlogSyncer syncer = node.syncer().orElse(null);
        if (syncer == null) {
            response.withData("master", node.isStarted() && node.master().isEmpty()
                    ? "not configured (kingbus.master.host) nor chosen (PUT /api/v1/master)" : "-");
        } else {
            response.withData("master", syncer.master());
            response.withData("syncer", syncer.state().name());
            if (syncer.lastError() != null) {
                response.withData("syncer.lastError", syncer.lastError());
            }
            if (raft != null && raft.isLeader() && syncer.lastError() != null
                    && syncer.state() != BinlogSyncer.State.STREAMING) {
                reasons.add(syncer.lastError());
            }
        }
        node.store().ifPresent(s -> response.withData("gtid.binlogState", s.gtidState().toString()));
        if (!reasons.isEmpty()) {
            response.withData("reason", String.join("; ", reasons));
        }
        return response.status(reasons.isEmpty()).build();
    }
}
