package kingbus.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import kingbus.protocol.binlog.EventChecksum;
import kingbus.protocol.binlog.LogEvent;
import kingbus.protocol.packet.Commands;
import kingbus.protocol.packet.ErrorCode;
import kingbus.testing.FixtureEvents;
import kingbus.testing.RawClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link MysqlServer} on an ephemeral port over the binlog MariaDB 10.11 wrote in the captures
 * (mysql-bin.000001 whole, mysql-bin.000002 up to 869) and checks what it streams against what the
 * real master streamed in the same situation, byte for byte.
 */
class MysqlServerTest {

    private static final String USER = "repl";
    private static final String PASSWORD = "s3cret";
    /** BINLOG_DUMP_NON_BLOCK | BINLOG_SEND_ANNOTATE_ROWS_EVENT */
    private static final int NON_BLOCK_WITH_ANNOTATE = 0x03;
    private static final int ANNOTATE = 0x02;

    private InMemoryBinlogReader store;
    private MysqlServer server;
    private final List<RawClient> clients = new ArrayList<>();

    static List<String> transcript(String name) throws IOException {
        return Files.readAllLines(FixtureEvents.fixtures().resolve("mariadb-10.11-protocol").resolve(name));
    }

    /** mysql-bin.000001 and .000002 as the master held them at the end of binlog-raw. */
    static List<byte[]> masterEvents() throws IOException {
        return InMemoryBinlogReader.transcriptFileEvents(transcript("binlog-raw.txt"));
    }

    @BeforeEach
    void start() throws IOException {
        store = new InMemoryBinlogReader("mysql-bin.000001");
        store.appendAll(masterEvents());
        startServer(10);
    }

    private void startServer(int maxConnections) throws IOException {
        startServer(maxConnections, Duration.ofSeconds(30));
    }

    private void startServer(int maxConnections, Duration idleTimeout) throws IOException {
        ThreadFactory threads = r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        };
        server = new MysqlServer(new ServerSettings("127.0.0.1", 0, 1, USER, PASSWORD, "admin", "adm1n",
                maxConnections, idleTimeout), store, threads);
        server.start();
    }

    @AfterEach
    void stop() throws IOException {
        for (RawClient client : clients) {
            client.close();
        }
        server.close();
        assertThat(server.isListening()).isFalse();
    }

    private RawClient connect(boolean deprecateEof) throws IOException {
        RawClient client = new RawClient(server.boundPort(), deprecateEof);
        clients.add(client);
        return client;
    }

    private RawClient loggedIn(boolean deprecateEof) throws IOException {
        RawClient client = connect(deprecateEof);
        assertThat(client.login(USER, PASSWORD).isOk()).isTrue();
        return client;
    }

    // ---------------------------------------------------------------- handshake

    @Test
    void greetsAsTheMariaDbMasterAndAcceptsTheReplicaUser() throws IOException {
        assertThat(server.isListening()).isTrue();
        RawClient client = loggedIn(false);
        assertThat(client.serverVersion).isEqualTo("5.5.5-10.11.19-MariaDB-0+deb12u1-log");
        RawClient admin = connect(true);
        assertThat(admin.login("admin", "adm1n").isOk()).isTrue();
    }

    @Test
    void wrongPasswordIsAccessDenied() throws IOException {
        RawClient client = connect(false);
        RawClient.Reply reply = client.login(USER, "wrong");
        assertThat(reply.errorCode()).isEqualTo(1045);
        assertThat(reply.sqlState()).isEqualTo("28000");
        assertThat(reply.message()).isEqualTo("Access denied for user 'repl'@'127.0.0.1' (using password: YES)");
        assertThat(client.socket.getInputStream().read()).isEqualTo(-1); // closed
        assertThat(connect(false).login("nobody", PASSWORD).errorCode()).isEqualTo(1045);
    }

    @Test
    void clientStartingWithAnotherPluginIsSwitchedToNativePassword() throws IOException {
        RawClient client = connect(true);
        assertThat(client.login(USER, PASSWORD, "caching_sha2_password").isOk()).isTrue();
        assertThat(client.query("SELECT 1").value()).isEqualTo("1");
        // A refused login of a client that started with another plugin names the one Kingbus checks.
        RawClient.Reply refused = connect(true).login(USER, "not-the-password", "caching_sha2_password");
        assertThat(refused.errorCode()).isEqualTo(1045);
        assertThat(refused.message()).contains("mysql_native_password or ed25519").contains("caching_sha2_password");
    }

    // ---------------------------------------------------------------- queries

    @Test
    void answersTheMariaDbReplicaQuerySequence() throws IOException {
        for (boolean deprecateEof : new boolean[] {false, true}) {
            RawClient client = loggedIn(deprecateEof);
            long now = System.currentTimeMillis() / 1000;
            RawClient.Reply ts = client.query("SELECT UNIX_TIMESTAMP()");
            assertThat(ts.columns()).containsExactly("UNIX_TIMESTAMP()");
            assertThat(Long.parseLong(ts.value())).isBetween(now - 5, now + 5);
            RawClient.Reply serverId = client.query("SHOW VARIABLES LIKE 'SERVER_ID'");
            assertThat(serverId.columns()).containsExactly("Variable_name", "Value");
            assertThat(serverId.rows()).containsExactly(List.of("server_id", "1"));
            assertThat(client.query("SET @master_heartbeat_period= 2000000000").isOk()).isTrue();
            assertThat(client.query("SET @master_binlog_checksum= @@global.binlog_checksum").isOk()).isTrue();
            RawClient.Reply checksum = client.query("SELECT @master_binlog_checksum");
            assertThat(checksum.columns()).containsExactly("@master_binlog_checksum");
            assertThat(checksum.value()).isEqualTo("CRC32");
            assertThat(client.query("SET @mariadb_slave_capability=4").isOk()).isTrue();
            assertThat(client.query("SELECT @@GLOBAL.gtid_domain_id").value()).isEqualTo("0");
            assertThat(client.query("SET @slave_connect_state='0-1-6'").isOk()).isTrue();
            assertThat(client.query("SELECT @slave_connect_state").value()).isEqualTo("0-1-6");
            assertThat(client.query("SELECT @never_set").rows()).containsExactly(java.util.Arrays.asList((String) null));
            // file/position mode asks this instead (pos-mode-mid.txt)
            RawClient.Reply pos = client.query("SELECT binlog_gtid_pos('mysql-bin.000002',342)");
            assertThat(pos.columns()).containsExactly("binlog_gtid_pos('mysql-bin.000002',342)");
            assertThat(pos.value()).isEqualTo("0-1-7");
            assertThat(client.query("SELECT binlog_gtid_pos('mysql-bin.000001',1576)").value()).isEqualTo("0-1-6");
            assertThat(client.query("SELECT binlog_gtid_pos('mysql-bin.000001',1577)").value()).isNull();
            // mariadb-binlog
            assertThat(client.query("SELECT VERSION()").value()).isEqualTo("10.11.19-MariaDB-0+deb12u1-log");
        }
    }

    @Test
    void answersStatusQueriesAndMultiVariableSet() throws IOException {
        RawClient client = loggedIn(true);
        assertThat(client.query("SET @master_binlog_checksum= @@global.binlog_checksum, "
                + "@source_binlog_checksum= @@global.binlog_checksum").isOk()).isTrue();
        assertThat(client.query("SELECT @source_binlog_checksum").value()).isEqualTo("CRC32");
        assertThat(client.query("SELECT @@server_id").value()).isEqualTo("1");
        assertThat(client.query("select @@version_comment limit 1").value()).isEqualTo("Kingbus binlog server");
        assertThat(client.query("SET @a='x', @b=2").isOk()).isTrue();
        assertThat(client.query("SET @a=NULL").isOk()).isTrue();
        assertThat(client.query("SELECT @a, @b").rows()).containsExactly(java.util.Arrays.asList(null, "2"));
        assertThat(client.query("SELECT @@GLOBAL.gtid_binlog_pos").value()).isEqualTo("0-1-9");
        assertThat(client.query("SELECT @@gtid_current_pos").value()).isEqualTo("0-1-9");
        assertThat(client.query("SELECT @@gtid_purged").value()).as("nothing purged").isEmpty();
        // MariaDB shows a boolean as 1/0 to SELECT @@ and as ON/OFF in SHOW VARIABLES.
        assertThat(client.query("SELECT @@global.log_bin").value()).isEqualTo("1");
        assertThat(client.query("SELECT @@binlog_format").value()).isEqualTo("ROW");
        assertThat(client.query("SELECT @@GLOBAL.SERVER_UUID").value()).matches("[0-9a-f-]{36}");
        assertThat(client.query("show global variables like 'binlog_checksum'").rows())
                .containsExactly(List.of("binlog_checksum", "CRC32"));
        RawClient.Reply status = client.query("SHOW MASTER STATUS");
        assertThat(status.rows().get(0).subList(0, 2)).containsExactly("mysql-bin.000002", "869");
        RawClient.Reply logs = client.query("SHOW BINARY LOGS");
        assertThat(logs.columns()).containsExactly("Log_name", "File_size");
        assertThat(logs.rows()).containsExactly(List.of("mysql-bin.000001", "1870"), List.of("mysql-bin.000002", "869"));
    }

    /**
     * CHANGE MASTER TO on an admin connection goes to the master switch with the address only; any other option, a
     * missing one, a bad port or a replica user is refused with an error, and the connection stays.
     */
    @Test
    void changeMasterToRepointsThroughTheSwitchForTheAdminOnly() throws IOException {
        List<String> switched = new ArrayList<>();
        RawClient admin = connect(false);
        assertThat(admin.login("admin", "adm1n").isOk()).isTrue();
        assertThat(admin.query("CHANGE MASTER TO MASTER_HOST='db2', MASTER_PORT=3307").errorCode())
                .as("no switch on this server").isEqualTo(ErrorCode.ER_NOT_SUPPORTED_YET.code());
        server.masterSwitch((host, port) -> {
            if (port > 65535) {
                throw new IllegalArgumentException("Not a TCP port: " + port);
            }
            switched.add(host + ":" + port);
        });
        assertThat(admin.query("change master to master_host = 'db2.example', master_port = 3307;").isOk()).isTrue();
        assertThat(admin.query("CHANGE REPLICATION SOURCE TO SOURCE_PORT=3308, SOURCE_HOST='10.0.0.9'").isOk())
                .isTrue();
        assertThat(switched).containsExactly("db2.example:3307", "10.0.0.9:3308");

        RawClient.Reply withAccount = admin.query("CHANGE MASTER TO MASTER_HOST='db3', MASTER_PORT=3306,"
                + " MASTER_USER='root'");
        assertThat(withAccount.errorCode()).isEqualTo(ErrorCode.ER_NOT_SUPPORTED_YET.code());
        assertThat(withAccount.message()).contains("MASTER_USER");
        assertThat(admin.query("CHANGE MASTER TO MASTER_HOST='db3'").errorCode())
                .isEqualTo(ErrorCode.ER_WRONG_ARGUMENTS.code());
        assertThat(admin.query("CHANGE MASTER TO MASTER_HOST='db3', MASTER_PORT=99999").message())
                .contains("Not a TCP port");
        assertThat(admin.query("CHANGE MASTER TO MASTER_HOST='db3' MASTER_PORT=1").errorCode())
                .isEqualTo(ErrorCode.ER_WRONG_ARGUMENTS.code());
        RawClient replica = loggedIn(false);
        assertThat(replica.query("CHANGE MASTER TO MASTER_HOST='db3', MASTER_PORT=3306").errorCode())
                .isEqualTo(ErrorCode.ER_SPECIFIC_ACCESS_DENIED_ERROR.code());
        assertThat(switched).as("nothing refused reached the switch").hasSize(2);
        assertThat(admin.command(Commands.COM_PING, new byte[0]).isOk()).isTrue();
    }

    @Test
    void unsupportedStatementsAndCommandsKeepTheConnection() throws IOException {
        RawClient client = loggedIn(false);
        RawClient.Reply bad = client.query("DROP TABLE t");
        assertThat(bad.errorCode()).isEqualTo(1064);
        assertThat(bad.message()).isEqualTo("Kingbus does not support: DROP TABLE t");
        RawClient.Reply unknown = client.command(0x1F, new byte[0]);
        assertThat(unknown.errorCode()).isEqualTo(ErrorCode.ER_UNKNOWN_COM_ERROR.code());
        assertThat(unknown.sqlState()).isEqualTo("08S01");
        assertThat(client.command(Commands.COM_PING, new byte[0]).isOk()).isTrue();
        assertThat(client.command(Commands.COM_INIT_DB, "db".getBytes()).isOk()).isTrue();
        assertThat(client.command(Commands.COM_BINLOG_DUMP_GTID, new byte[0]).errorCode()).isEqualTo(1236);
        assertThat(client.command(Commands.COM_REGISTER_SLAVE, new byte[] {1}).isError()).isTrue(); // truncated
        assertThat(client.command(Commands.COM_PING, new byte[0]).isOk()).isTrue();
    }

    @Test
    void connectionsOverTheCapAreRefused() throws IOException {
        server.close();
        startServer(1);
        loggedIn(false);
        RawClient extra = connect(false);
        RawClient.Reply refused = RawClient.parseSimple(extra.io.read());
        assertThat(refused.errorCode()).isEqualTo(1040);
        assertThat(refused.message()).isEqualTo("Too many connections");
    }

    /** As MariaDB's wait_timeout: a session idle outside a dump is closed; the listener lives on. */
    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        server.close();
        startServer(10, Duration.ofSeconds(1));
        RawClient idle = loggedIn(false);
        RawClient busy = loggedIn(false);
        for (int i = 0; i < 6; i++) { // a query every 300 ms keeps this one open
            Thread.sleep(300);
            assertThat(busy.query("SELECT 1").value()).isEqualTo("1");
        }
        assertThat(idle.socket.getInputStream().read()).as("closed by the server").isEqualTo(-1);
        assertThat(busy.query("SELECT 1").value()).isEqualTo("1");
        assertThat(loggedIn(false).query("SELECT 2").value()).isEqualTo("2");
    }

    @Test
    void absurdPacketLengthIsRefusedNotAllocated() throws IOException {
        RawClient client = loggedIn(false);
        client.socket.getOutputStream().write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0});
        client.socket.getOutputStream().write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1});
        client.socket.getOutputStream().flush();
        // 16 MiB and more announced, over the 1 MiB limit for commands: an error (nothing allocated), then
        // the connection closes; the listener lives on.
        RawClient.Reply reply = RawClient.parseSimple(client.io.read());
        assertThat(reply.errorCode()).isEqualTo(ErrorCode.ER_NET_PACKET_TOO_LARGE.code());
        assertThat(loggedIn(false).command(Commands.COM_PING, new byte[0]).isOk()).isTrue();
    }

    // ---------------------------------------------------------------- dumps

    /** Reads {@code count} events, then expects the EOF that ends a non-blocking dump. */
    private static List<byte[]> readUntilEof(RawClient client) throws IOException {
        List<byte[]> events = new ArrayList<>();
        while (true) {
            byte[] packet = client.readStreamPacket();
            if ((packet[0] & 0xFF) == 0xFE && packet.length < 9) {
                return events;
            }
            assertThat(packet[0]).as("%s", RawClient.parseSimple(packet)).isEqualTo((byte) 0);
            events.add(java.util.Arrays.copyOfRange(packet, 1, packet.length));
        }
    }

    private static void assertSameEvents(List<byte[]> actual, List<byte[]> expected) {
        assertThat(actual.size()).isGreaterThanOrEqualTo(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat(HexFormat.of().formatHex(actual.get(i))).as("event #%d", i)
                    .isEqualTo(HexFormat.of().formatHex(expected.get(i)));
        }
    }

    @Test
    void filePositionDumpFromTheMiddleOfAFile() throws IOException {
        RawClient client = loggedIn(false);
        client.query("SET @master_binlog_checksum= @@global.binlog_checksum");
        client.query("SET @mariadb_slave_capability=4");
        client.registerSlave(3);
        client.dump(342, NON_BLOCK_WITH_ANNOTATE, 3, "mysql-bin.000002");
        List<byte[]> events = readUntilEof(client);
        // pos-mode-mid.txt: fake ROTATE(342), FDE with log_pos 0 and created 0, then the events up to 632.
        assertSameEvents(events, InMemoryBinlogReader.transcriptStream(transcript("pos-mode-mid.txt")).subList(0, 8));
        assertThat(events).hasSize(8 + 5); // and the 0-1-9 transaction the store has on top
        assertThat(LogEvent.logPos(events.get(events.size() - 1))).isEqualTo(869);
        assertThat(server.eventsSent()).isGreaterThanOrEqualTo(13);
        assertThat(server.bytesSent()).isGreaterThan(0);
    }

    @Test
    void filePositionDumpOfEverythingLikeMariadbBinlogRaw() throws IOException {
        RawClient client = loggedIn(false);
        client.query("SELECT VERSION()");
        client.query("SET @master_binlog_checksum='NONE'");
        client.query("SET @mariadb_slave_capability=4");
        client.dump(4, NON_BLOCK_WITH_ANNOTATE, 1, "mysql-bin.000001");
        List<byte[]> events = readUntilEof(client);
        // binlog-raw.txt: the first fake ROTATE without CRC (the reader said NONE), later ones with.
        assertSameEvents(events, InMemoryBinlogReader.transcriptStream(transcript("binlog-raw.txt")));
        assertThat(events).hasSize(49);
    }

    @Test
    void gtidDumpSkipsWhatTheReplicaHasAndMarksTheSkipPoint() throws IOException {
        RawClient client = loggedIn(false);
        for (String sql : List.of("SET @master_heartbeat_period= 2000000000",
                "SET @master_binlog_checksum= @@global.binlog_checksum", "SET @mariadb_slave_capability=4",
                "SET @slave_connect_state='0-1-6'", "SET @slave_gtid_strict_mode=1",
                "SET @slave_gtid_ignore_duplicates=0")) {
            assertThat(client.query(sql).isOk()).isTrue();
        }
        client.registerSlave(2);
        client.dump(1576, NON_BLOCK_WITH_ANNOTATE, 2, "mysql-bin.000001");
        List<byte[]> events = readUntilEof(client);
        // gtid-reconnect.txt: FDE created=0, real GTID_LIST and CHECKPOINT, artificial GTID_LIST 0-1-6 at
        // 1576, 0-1-7, master ROTATE, fake ROTATE, next FDE ... up to the CHECKPOINT at 632 (21 events).
        List<byte[]> expected = InMemoryBinlogReader.transcriptStream(transcript("gtid-reconnect.txt"));
        assertSameEvents(events, expected.subList(0, 21));
        assertThat(events).hasSize(21 + 5);
    }

    @Test
    void gtidDumpStartsInTheFileWhoseStartStateMatches() throws IOException {
        RawClient client = loggedIn(false);
        client.query("SET @master_binlog_checksum='NONE'");
        client.query("SET @mariadb_slave_capability=4");
        client.query("SET @slave_connect_state='0-1-7'");
        client.dump(4, NON_BLOCK_WITH_ANNOTATE, 0, "mysql-bin.000001");
        // binlog-text-gtid.txt, exactly: starts in mysql-bin.000002, no artificial GTID_LIST, then EOF.
        assertSameEvents(readUntilEof(client),
                InMemoryBinlogReader.transcriptStream(transcript("binlog-text-gtid.txt")));
    }

    @Test
    void gtidDumpFromAnEmptyPositionSendsEverything() throws IOException {
        RawClient client = loggedIn(true);
        client.query("SET @master_binlog_checksum= @@global.binlog_checksum");
        client.query("SET @slave_connect_state=''");
        client.dump(4, NON_BLOCK_WITH_ANNOTATE, 2, "");
        List<byte[]> events = readUntilEof(client);
        List<byte[]> expected = InMemoryBinlogReader.transcriptStream(transcript("gtid-mode.txt"));
        assertSameEvents(events, expected.subList(0, 23)); // up to 0-1-5's XID, before the heartbeats
    }

    @Test
    void annotateRowsOnlyWhenAskedFor() throws IOException {
        RawClient client = loggedIn(false);
        client.query("SET @master_binlog_checksum='CRC32'");
        client.dump(4, 0x01, 2, "mysql-bin.000002");
        List<byte[]> events = readUntilEof(client);
        assertThat(events).noneMatch(e -> LogEvent.type(e) == LogEvent.ANNOTATE_ROWS_EVENT);
        assertThat(events).anyMatch(e -> LogEvent.type(e) == LogEvent.TABLE_MAP_EVENT);
    }

    @Test
    void unknownGtidDomainIsError1236() throws IOException {
        RawClient client = loggedIn(false);
        client.query("SET @master_binlog_checksum= @@global.binlog_checksum");
        client.query("SET @slave_connect_state='0-1-6,5-1-3'");
        client.dump(4, ANNOTATE, 2, "");
        RawClient.Reply error = RawClient.parseSimple(client.readStreamPacket());
        assertThat(error.errorCode()).isEqualTo(1236);
        assertThat(error.sqlState()).isEqualTo("HY000");
        assertThat(error.message()).contains("5-1-3").contains("domain 5");
    }

    @Test
    void replicaAheadOfTheClusterAndUnknownFilesAreError1236() throws IOException {
        RawClient ahead = loggedIn(false);
        ahead.query("SET @slave_connect_state='0-1-99'");
        ahead.dump(4, ANNOTATE, 2, "");
        assertThat(RawClient.parseSimple(ahead.readStreamPacket()).message()).contains("0-1-99").contains("0-1-9");

        RawClient unknownFile = loggedIn(false);
        unknownFile.dump(4, ANNOTATE, 2, "mysql-bin.000007");
        assertThat(RawClient.parseSimple(unknownFile.readStreamPacket()).message()).contains("mysql-bin.000007");

        RawClient notABoundary = loggedIn(false);
        notABoundary.dump(343, ANNOTATE, 2, "mysql-bin.000002");
        RawClient.Reply error = RawClient.parseSimple(notABoundary.readStreamPacket());
        assertThat(error.errorCode()).isEqualTo(1236);
        assertThat(error.message()).contains("343");

        RawClient beyond = loggedIn(false);
        beyond.dump(5000, ANNOTATE, 2, "mysql-bin.000002");
        assertThat(RawClient.parseSimple(beyond.readStreamPacket()).message()).contains("5000");
    }

    @Test
    void purgedGtidIsError1236() throws IOException {
        // A store that holds only mysql-bin.000002 (it starts at 0-1-7) cannot serve a replica at 0-1-3.
        List<byte[]> all = masterEvents();
        int rotate = 0;
        while (LogEvent.type(all.get(rotate)) != LogEvent.ROTATE_EVENT) {
            rotate++;
        }
        server.close();
        store = new InMemoryBinlogReader("mysql-bin.000002");
        store.startWith(kingbus.gtid.GtidList.parse("0-1-7"));
        store.appendAll(all.subList(rotate + 1, all.size()));
        startServer(10);
        RawClient client = loggedIn(false);
        assertThat(client.query("SELECT @@global.gtid_purged").value()).isEqualTo("0-1-7");
        client.query("SET @slave_connect_state='0-1-3'");
        client.dump(4, ANNOTATE, 2, "");
        RawClient.Reply error = RawClient.parseSimple(client.readStreamPacket());
        assertThat(error.errorCode()).isEqualTo(1236);
        assertThat(error.message()).contains("purged").contains("0-1-3");
        // an empty position would miss 0-1-1..0-1-7 as well
        RawClient fresh = loggedIn(false);
        fresh.query("SET @slave_connect_state=''");
        fresh.dump(4, ANNOTATE, 2, "");
        assertThat(RawClient.parseSimple(fresh.readStreamPacket()).errorCode()).isEqualTo(1236);
    }

    @Test
    void blockingDumpSendsHeartbeatsAndNewCommits() throws Exception {
        List<byte[]> all = masterEvents();
        store = new InMemoryBinlogReader("mysql-bin.000001");
        store.appendAll(all.subList(0, all.size() - 5)); // without the 0-1-9 transaction
        server.close();
        startServer(10);
        RawClient client = loggedIn(false);
        client.query("SET @master_heartbeat_period= 200000000"); // 200 ms
        client.query("SET @master_binlog_checksum= @@global.binlog_checksum");
        client.query("SET @slave_connect_state='0-1-8'");
        client.registerSlave(2);
        client.dump(4, ANNOTATE, 2, "");
        List<byte[]> events = new ArrayList<>();
        byte[] event;
        while (LogEvent.type(event = client.readEvent()) != LogEvent.HEARTBEAT_LOG_EVENT) {
            events.add(event);
        }
        assertThat(server.connectedReplicas()).isEqualTo(1);
        // gtid-reconnect.txt's heartbeat: mysql-bin.000002 at 632, flags 0, CRC32
        assertThat(event).isEqualTo(FixtureEvents.event("gtid-reconnect.txt", "HEARTBEAT", 0));
        // the artificial GTID_LIST after 0-1-8's XID, at 589
        byte[] marker = events.get(events.size() - 2);
        assertThat(LogEvent.type(marker)).isEqualTo(LogEvent.GTID_LIST_EVENT);
        assertThat(LogEvent.logPos(marker)).isEqualTo(589);
        store.appendAll(all.subList(all.size() - 5, all.size()));
        List<byte[]> fresh = new ArrayList<>();
        while (fresh.size() < 5) {
            byte[] next = client.readEvent();
            if (LogEvent.type(next) != LogEvent.HEARTBEAT_LOG_EVENT) {
                fresh.add(next);
            }
        }
        assertSameEvents(fresh, all.subList(all.size() - 5, all.size()));
        // binlog-raw.txt stream 1's last heartbeat: after 0-1-9, at 869
        byte[] heartbeat = client.readEvent();
        assertThat(heartbeat).isEqualTo(HexFormat.of().parseHex(
                "000000001b01000000270000006503000000006d7973716c2d62696e2e3030303030322c4d0352"));
        client.close();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (server.connectedReplicas() > 0 && System.nanoTime() < deadline) {
            store.awaitCommit(store.commitVersion(), 20); // a bounded wait, not a busy loop
        }
        assertThat(server.connectedReplicas()).isZero();
    }

    @Test
    void checksumUnawareReplicaGetsEventsWithoutChecksums() throws IOException {
        RawClient client = loggedIn(false);
        client.dump(4, NON_BLOCK_WITH_ANNOTATE, 2, "mysql-bin.000002");
        List<byte[]> events = readUntilEof(client);
        List<byte[]> stored = masterEvents();
        byte[] fde = events.get(1);
        assertThat(LogEvent.type(fde)).isEqualTo(LogEvent.FORMAT_DESCRIPTION_EVENT);
        assertThat(fde).hasSize(252 - 4);
        assertThat(fde[fde.length - 1]).isEqualTo((byte) LogEvent.BINLOG_CHECKSUM_ALG_OFF);
        for (byte[] event : events) {
            assertThat(LogEvent.eventSize(event)).isEqualTo(event.length);
        }
        byte[] lastXid = stored.get(stored.size() - 1);
        byte[] sentXid = events.get(events.size() - 1);
        assertThat(sentXid).isEqualTo(java.util.Arrays.copyOf(EventChecksum.strip(lastXid), lastXid.length - 4));
        assertThat(LogEvent.logPos(sentXid)).isEqualTo(869); // positions stay the master's
    }

    @Test
    void closeEndsRunningDumps() throws Exception {
        RawClient client = loggedIn(false);
        client.query("SET @master_binlog_checksum= @@global.binlog_checksum");
        client.dump(869, ANNOTATE, 2, "mysql-bin.000002");
        client.readEvent(); // fake ROTATE
        client.readEvent(); // FDE
        server.close();
        assertThat(server.connectedReplicas()).isZero();
        assertThat(client.socket.getInputStream().read()).isEqualTo(-1);
    }
}
