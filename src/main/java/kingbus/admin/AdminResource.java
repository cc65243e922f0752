package kingbus.admin;

import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;
import kingbus.app.KingbusNode;
import kingbus.app.MasterRefusedException;
import kingbus.protocol.binlog.LogEvent;
import kingbus.raft.MasterChoice;
import kingbus.raft.PurgeCoordinator;
import kingbus.raft.RaftNode;
import kingbus.store.ActiveReader;
import kingbus.store.BinlogFile;
import kingbus.store.BinlogStore;
import kingbus.store.PurgePlan;
import kingbus.store.PurgeRequest;
import kingbus.syncer.BinlogSyncer;

/**
 * The operators' API: cluster membership and Raft state, the syncer (status, stop, start), and the
 * binlog files held. Every answer is JSON; errors are JSON with a 4xx/5xx code and a message.
 *
 * <p>Request-scoped by JAX-RS default; reads thread-safe state of {@link KingbusNode}.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

    private static final Logger LOG = Logger.getLogger(AdminResource.class.getName());

    @Inject
    KingbusNode node;

    @GET
    @Path("/cluster")
    public JsonObject cluster() {
        RaftNode raft = node.raft().orElseThrow(() -> unavailable("Raft is not running on this node"));
        JsonArrayBuilder members = Json.createArrayBuilder();
        String leader = raft.leaderId();
        java.util.Map<String, Long> matched = raft.matchIndexes();
        for (String id : raft.memberIdList()) {
            JsonObjectBuilder member = Json.createObjectBuilder()
                    .add("name", id)
                    .add("role", id.equals(leader) ? "leader" : "follower")
                    .add("self", id.equals(raft.nodeId()));
            if (id.equals(raft.nodeId())) {
                member.add("appliedIndex", raft.lastApplied());
            } else if (matched.containsKey(id)) {
                // On the leader: a follower has applied at least what it acknowledged and knew committed.
                member.add("matchIndex", matched.get(id));
                member.add("appliedIndex", Math.min(matched.get(id), raft.commitIndex()));
            } else if (id.equals(leader)) {
                member.add("appliedIndex", raft.knownCommitIndex()); // the leader applies as it commits
            }
            members.add(member);
        }
        return Json.createObjectBuilder()
                .add("node", raft.nodeId())
                .add("leader", leader == null ? "" : leader)
                .add("term", raft.term())
                .add("commitIndex", raft.knownCommitIndex())
                .add("appliedIndex", raft.lastApplied())
                .add("applyLagMillis", raft.applyLagMillis())
                .add("members", members)
                .build();
    }

    @GET
    @Path("/syncer")
    public JsonObject syncer() {
        BinlogSyncer syncer = node.syncer().orElseThrow(
                () -> notFound("No master is configured (kingbus.master.host) nor chosen (PUT /api/v1/master)"));
        JsonObjectBuilder json = Json.createObjectBuilder()
                .add("master", syncer.master())
                .add("state", syncer.state().name())
                .add("running", syncer.isRunning())
                .add("eventsReceived", syncer.eventsReceived())
                .add("bytesReceived", syncer.bytesReceived())
                .add("transactionsCommitted", syncer.transactionsProposed())
                .add("semiSyncAcksSent", syncer.semiSyncAcksSent())
                .add("writesOwnFiles", syncer.writesOwnFiles())
                .add("leader", node.raft().map(RaftNode::isLeader).orElse(false));
        String received = syncer.lastReceivedGtid();
        json.add("lastReceivedGtid", received == null ? "" : received);
        long lag = syncer.lagSeconds();
        if (lag >= 0) {
            json.add("lagSeconds", lag);
        }
        json.add("committedGtidState", node.store().map(s -> s.gtidState().toString()).orElse(""));
        if (syncer.lastError() != null) {
            json.add("lastError", syncer.lastError());
        }
        return json.build();
    }

    @POST
    @Path("/syncer/stop")
    public JsonObject stopSyncer() {
        node.pauseSyncer();
        return syncer();
    }

    @POST
    @Path("/syncer/start")
    public JsonObject startSyncer() {
        node.resumeSyncer();
        return syncer();
    }

    /**
     * The master the syncers pull from: {@code source} says whether an operator chose it through this API
     * ({@code "api"}, the same on every node), or it is this node's configuration ({@code "configuration"}), or
     * there is none ({@code "none"}); {@code configured} is this node's {@code kingbus.master.host:port}.
     */
    @GET
    @Path("/master")
    public JsonObject master() {
        Optional<MasterChoice> chosen = node.raft().flatMap(RaftNode::masterChoice);
        Optional<MasterChoice> configured = node.configuredMaster();
        Optional<MasterChoice> master = node.master();
        JsonObjectBuilder json = Json.createObjectBuilder()
                .add("master", master.map(MasterChoice::toString).orElse(""))
                .add("source", chosen.isPresent() ? "api" : configured.isPresent() ? "configuration" : "none")
                .add("configured", configured.map(MasterChoice::toString).orElse(""));
        master.ifPresent(m -> json.add("host", m.host()).add("port", m.port()));
        return json.build();
    }

    /**
     * Repoints the whole cluster: {@code {"host": "...", "port": 3306}} is committed through Raft and wins over
     * every node's {@code kingbus.master.host} and {@code port} until {@code DELETE}; the leader's syncer closes its
     * connection and goes on from the committed end with the new master (a replica promoted in the old master's
     * place: files of Kingbus's own, see README). The account stays each node's configuration. Any node; answers
     * once the choice is applied here. The master is first queried with the syncer's account, and refused with 409
     * when the syncer could not pull from it (unreachable, the account refused, no binary log, transactions the
     * cluster holds missing); {@code "force": true} skips that check.
     */
    @PUT
    @Path("/master")
    @Consumes(MediaType.APPLICATION_JSON)
    public JsonObject chooseMaster(JsonObject body) {
        if (body == null || !body.containsKey("host") || !body.containsKey("port")) {
            throw error(Response.Status.BAD_REQUEST, "Give the new master as {\"host\": \"...\", \"port\": 3306}");
        }
        List<String> unknown = body.keySet().stream().filter(k -> !List.of("host", "port", "force").contains(k))
                .toList();
        if (!unknown.isEmpty()) {
            throw error(Response.Status.BAD_REQUEST, "Unknown field(s) " + unknown + ": only \"host\" and \"port\""
                    + " are chosen here (and \"force\" skips the check of the master); the account and TLS are each"
                    + " node's configuration (kingbus.master.*)");
        }
        JsonValue force = body.getOrDefault("force", JsonValue.FALSE);
        if (force != JsonValue.TRUE && force != JsonValue.FALSE) {
            throw error(Response.Status.BAD_REQUEST, "\"force\" must be true or false, not " + force);
        }
        MasterChoice choice;
        try {
            JsonValue port = body.get("port");
            if (!(port instanceof JsonNumber number) || !number.isIntegral()) {
                throw new IllegalArgumentException("\"port\" must be an integer, not " + port);
            }
            if (!(body.get("host") instanceof JsonString host)) {
                throw new IllegalArgumentException("\"host\" must be a string, not " + body.get("host"));
            }
            choice = new MasterChoice(host.getString(), number.intValueExact());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw error(Response.Status.BAD_REQUEST, "Bad master " + body + ": " + e.getMessage());
        }
        return commitMasterChoice(choice, force == JsonValue.FALSE);
    }

    /** Clears the choice made through this API: each node pulls from its configured master again. */
    @DELETE
    @Path("/master")
    public JsonObject clearMaster() {
        return commitMasterChoice(null, false);
    }

    private JsonObject commitMasterChoice(MasterChoice choice, boolean check) {
        try {
            node.chooseMaster(choice, check);
        } catch (MasterRefusedException e) {
            LOG.warning("Refused PUT /api/v1/master: " + e.getMessage());
            throw error(Response.Status.CONFLICT, e.getMessage());
        } catch (IllegalStateException e) {
            throw unavailable(e.getMessage());
        }
        return master();
    }

    @GET
    @Path("/binlogs")
    public JsonObject binlogs() {
        BinlogStore store = node.store().orElseThrow(() -> unavailable("The binlog store is not open"));
        JsonArrayBuilder files = Json.createArrayBuilder();
        long ownServerId = node.config().serverId();
        for (BinlogFile file : store.files()) {
            JsonObjectBuilder entry = Json.createObjectBuilder()
                    .add("name", file.name())
                    .add("size", file.size())
                    .add("firstPosition", file.firstPosition())
                    .add("whole", file.whole())
                    .add("rotated", file.rotated())
                    .add("startGtidState", file.startState().toString());
            byte[] fde = file.formatDescription();
            if (fde != null) {
                // The file's FDE names the server that wrote it: the master, or Kingbus itself for a file of its own
                // (the events of a master whose binlog is another one, a promoted replica's).
                entry.add("serverId", LogEvent.serverId(fde)).add("own", LogEvent.serverId(fde) == ownServerId);
            }
            files.add(entry);
        }
        List<BinlogFile> held = store.files();
        JsonObjectBuilder json = Json.createObjectBuilder()
                .add("gtidBinlogState", store.gtidState().toString())
                // Like a MariaDB master's first GTID_LIST: what is older than this is not held (purged).
                .add("purgedGtidState", held.isEmpty() ? "" : held.get(0).startState().toString())
                .add("firstFile", held.isEmpty() ? "" : held.get(0).name())
                .add("bytes", store.bytesHeld())
                .add("files", files);
        node.purger().ifPresent(purger -> {
            JsonArrayBuilder readers = Json.createArrayBuilder();
            for (ActiveReader reader : purger.clusterReaders()) {
                readers.add(Json.createObjectBuilder().add("reader", reader.reader()).add("file", reader.file()));
            }
            json.add("readers", readers);
            purger.retentionHeldBack().ifPresent(reason -> json.add("retentionHeldBack", reason));
        });
        return json.build();
    }

    /**
     * Purges binlog files on every node: {@code {"to": "mysql-bin.000042"}} drops the files before
     * that one, {@code {"before": "2026-11-01 00:00:00"}} (the JVM's time zone) or an ISO instant
     * ({@code "2026-11-01T00:00:00Z"}) the files the master closed before then. As {@code PURGE BINARY
     * LOGS}: never the newest file, and not a file a connected replica reads, nor any after it.
     */
    @POST
    @Path("/binlogs/purge")
    @Consumes(MediaType.APPLICATION_JSON)
    public JsonObject purge(JsonObject body) {
        PurgeCoordinator purger = node.purger().orElseThrow(() -> unavailable("Raft is not running on this node"));
        if (body == null || body.containsKey("to") == body.containsKey("before")) {
            throw error(Response.Status.BAD_REQUEST, "Give exactly one of \"to\" (a binlog file name) or \"before\""
                    + " (a datetime 'YYYY-MM-DD hh:mm:ss' or an ISO instant)");
        }
        PurgeRequest request;
        try {
            request = body.containsKey("to") ? new PurgeRequest.To(body.getString("to"))
                    : new PurgeRequest.Before(parseTime(body.getString("before")));
        } catch (ClassCastException | java.time.DateTimeException e) {
            throw error(Response.Status.BAD_REQUEST, "Bad purge request " + body + ": " + e.getMessage());
        }
        PurgePlan plan;
        try {
            plan = purger.purge(request);
        } catch (IllegalArgumentException e) {
            throw error(Response.Status.BAD_REQUEST, e.getMessage());
        } catch (IllegalStateException e) {
            throw unavailable(e.getMessage());
        }
        JsonObjectBuilder json = Json.createObjectBuilder()
                .add("purgedFiles", plan.purged())
                .add("wantedFiles", plan.wanted());
        plan.heldBackMessage().ifPresent(message -> json.add("heldBack", message));
        return json.add("binlogs", binlogs()).build();
    }

    private static java.time.Instant parseTime(String text) {
        try {
            return java.time.Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            return java.time.LocalDateTime.parse(text.trim().replace(' ', 'T')).atZone(java.time.ZoneId.systemDefault())
                    .toInstant();
        }
    }

    private static WebApplicationException notFound(String message) {
        return error(Response.Status.NOT_FOUND, message);
    }

    private static WebApplicationException unavailable(String message) {
        return error(Response.Status.SERVICE_UNAVAILABLE, message);
    }

    static WebApplicationException error(Response.Status status, String message) {
        return new WebApplicationException(Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(Json.createObjectBuilder().add("error", status.getStatusCode()).add("message", message)
                        .build().toString())
                .build());
    }
}
