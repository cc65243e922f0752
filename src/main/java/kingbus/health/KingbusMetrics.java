package kingbus.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import kingbus.app.KingbusNode;
import kingbus.server.MysqlServer;
import kingbus.store.BinlogStore;
import kingbus.syncer.BinlogSyncer;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.annotation.Gauge;

/**
 * MicroProfile Metrics gauges read from the running node: what the syncer received from the
 * master, what was committed, what was sent to replicas, and how many replicas are dumping.
 * Served at {@code /metrics?scope=application}.
 *
 * <p>Stateless; thread-safe (every value is read from thread-safe counters).
 */
@ApplicationScoped
public class KingbusMetrics {

    @Inject
    KingbusNode node;

    /** Creates this bean at start so its gauges are registered before the first scrape. */
    void register(@Observes @Initialized(ApplicationScoped.class) Object event) {
        // nothing to do: being created registers the gauges
    }

    @Gauge(name = "kingbus_master_events_received", absolute = true, unit = MetricUnits.NONE,
            description = "Binlog events received from the master since start")
    public long eventsReceived() {
        return node.syncer().map(BinlogSyncer::eventsReceived).orElse(0L);
    }

    @Gauge(name = "kingbus_master_bytes_received", absolute = true, unit = MetricUnits.BYTES,
            description = "Binlog bytes received from the master since start")
    public long bytesReceived() {
        return node.syncer().map(BinlogSyncer::bytesReceived).orElse(0L);
    }

    @Gauge(name = "kingbus_transactions_proposed", absolute = true, unit = MetricUnits.NONE,
            description = "Transactions this node proposed to Raft and saw committed")
    public long transactionsProposed() {
        return node.syncer().map(BinlogSyncer::transactionsProposed).orElse(0L);
    }

    @Gauge(name = "kingbus_committed_bytes", absolute = true, unit = MetricUnits.BYTES,
            description = "Binlog bytes committed to this node's store since start")
    public long committedBytes() {
        return node.store().map(BinlogStore::bytesAppended).orElse(0L);
    }

    @Gauge(name = "kingbus_replica_events_sent", absolute = true, unit = MetricUnits.NONE,
            description = "Binlog events sent to replicas and readers since start")
    public long eventsSent() {
        return node.server().map(MysqlServer::eventsSent).orElse(0L);
    }

    @Gauge(name = "kingbus_replica_bytes_sent", absolute = true, unit = MetricUnits.BYTES,
            description = "Binlog bytes sent to replicas and readers since start")
    public long bytesSent() {
        return node.server().map(MysqlServer::bytesSent).orElse(0L);
    }

    @Gauge(name = "kingbus_semi_sync_acks", absolute = true, unit = MetricUnits.NONE,
            description = "Semi-sync acknowledgements received from replicas since start")
    public long semiSyncAcks() {
        return node.server().map(MysqlServer::semiSyncAcks).orElse(0L);
    }

    @Gauge(name = "kingbus_replicas_connected", absolute = true, unit = MetricUnits.NONE,
            description = "Replicas and binlog readers currently dumping from this node")
    public long replicasConnected() {
        return node.server().map(MysqlServer::connectedReplicas).orElse(0);
    }

    @Gauge(name = "kingbus_replica_dumps_started", absolute = true, unit = MetricUnits.NONE,
            description = "Binlog dumps started on this node since start; a replica reconnecting counts again")
    public long dumpsStarted() {
        return node.server().map(MysqlServer::dumpsStarted).orElse(0L);
    }

    @Gauge(name = "kingbus_store_bytes", absolute = true, unit = MetricUnits.BYTES,
            description = "Binlog bytes held (the kept files' sizes)")
    public long storeBytes() {
        return node.store().map(BinlogStore::bytesHeld).orElse(0L);
    }

    @Gauge(name = "kingbus_store_disk_bytes", absolute = true, unit = MetricUnits.BYTES,
            description = "Bytes the store's files take on disk (less than kingbus_store_bytes with compression)")
    public long storeDiskBytes() {
        return node.store().map(BinlogStore::diskBytes).orElse(0L);
    }

    @Gauge(name = "kingbus_store_files", absolute = true, unit = MetricUnits.NONE,
            description = "Binlog files held")
    public long storeFiles() {
        return node.store().map(s -> (long) s.files().size()).orElse(0L);
    }

    @Gauge(name = "kingbus_store_first_file_number", absolute = true, unit = MetricUnits.NONE,
            description = "Number of the first binlog file held (its name's suffix; rises as files are purged)")
    public long firstFileNumber() {
        return node.store().flatMap(s -> s.files().stream().findFirst()).map(f -> fileNumber(f.name())).orElse(-1L);
    }

    @Gauge(name = "kingbus_store_free_disk_bytes", absolute = true, unit = MetricUnits.BYTES,
            description = "Usable bytes left on the disk of the node's data dir")
    public long freeDiskBytes() {
        try {
            return java.nio.file.Files.getFileStore(node.config().dataDir().toAbsolutePath()).getUsableSpace();
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long fileNumber(String name) {
        int dot = name.lastIndexOf('.');
        try {
            return Long.parseLong(name.substring(dot + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Gauge(name = "kingbus_syncer_state", absolute = true, unit = MetricUnits.NONE,
            description = "Syncer state: 0 stopped, 1 connecting, 2 streaming, 3 waiting to reconnect; -1 no master")
    public long syncerState() {
        return node.syncer().map(s -> (long) s.state().ordinal()).orElse(-1L);
    }
}
