package kingbus.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import kingbus.protocol.binlog.LogEvent;
import kingbus.testing.BinlogTool;
import kingbus.testing.Cleanup;
import kingbus.testing.KingbusProcess;
import kingbus.testing.MariaDb;
import kingbus.testing.Processes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 5: a master whose binlog is encrypted on its disk ({@code encrypt_binlog=ON} with the
 * {@code file_key_management} plugin). MariaDB's dump thread decrypts each file for its replicas and
 * sends the file's START_ENCRYPTION_EVENT marked ignorable (its {@code send_format_descriptor_event});
 * Kingbus stores that stream as sent, so its raw files equal what {@code mariadb-binlog --raw} gets
 * from the master, positions included, and a replica of Kingbus equals the master. Kingbus warns
 * once that it keeps the binlog unencrypted.
 */
class EncryptedMasterIT {

    private static final String MARKER = "kingbus-plaintext-marker";

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    @Test
    void aMasterWithEncryptedBinlogsIsReplicatedAndServedByteIdentical() throws IOException {
        Path keys = Files.createTempFile("kingbus-binlog-keys", ".txt");
        cleanup.add(() -> Files.deleteIfExists(keys));
        byte[] key = new byte[32];
        new Random(7).nextBytes(key);
        Files.writeString(keys, "1;" + HexFormat.of().formatHex(key) + "\n");
        MariaDb master = cleanup.add(MariaDb.start(1, "--plugin-load-add=file_key_management",
                "--file-key-management-filename=" + keys, "--encrypt-binlog=ON"));
        MariaDb replica = cleanup.add(MariaDb.start(2));
        KingbusProcess kingbus = cleanup.add(KingbusProcess.forMaster(master, Map.of())).start().awaitReady();
        replica.replicateFrom(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER, KingbusProcess.REPLICA_PASSWORD);

        master.execute("CREATE DATABASE enc", "USE enc", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100))",
                "INSERT INTO t SELECT seq, CONCAT('" + MARKER + "-', seq) FROM seq_1_to_500",
                "FLUSH BINARY LOGS",
                "UPDATE t SET v = CONCAT(v, '-updated') WHERE id <= 100",
                "FLUSH BINARY LOGS",
                "DELETE FROM t WHERE id > 450", "INSERT INTO t VALUES (0, 'last')");
        replica.awaitSlavePos(master.gtidBinlogPos(), Duration.ofSeconds(90));
        assertThat(replica.checksums()).isEqualTo(master.checksums());
        assertThat(replica.queryString("SELECT COUNT(*) FROM enc.t")).isEqualTo("451");

        List<String> files = master.binaryLogs();
        List<String> completed = files.subList(0, files.size() - 1);
        assertThat(completed).hasSizeGreaterThanOrEqualTo(2);
        BinlogTool.assertRawFilesIdentical(master, kingbus.mysqlPort(), completed);

        // The test exercises encryption: on the master's disk the rows are ciphertext, in the stream
        // (and so in Kingbus) they are plain, after an ignorable START_ENCRYPTION_EVENT.
        String first = completed.get(0);
        byte[] onDisk = Files.readAllBytes(master.dir().resolve("data").resolve(first));
        assertThat(new String(onDisk, StandardCharsets.ISO_8859_1)).doesNotContain(MARKER);
        Path download = BinlogTool.downloadRaw(kingbus.mysqlPort(), KingbusProcess.REPLICA_USER,
                KingbusProcess.REPLICA_PASSWORD, List.of(first));
        try {
            byte[] served = Files.readAllBytes(download.resolve(first));
            assertThat(served.length).as("positions are the master's").isEqualTo(onDisk.length);
            assertThat(new String(served, StandardCharsets.ISO_8859_1)).contains(MARKER);
            int fdeLength = (int) LogEvent.uint32(served, 4 + LogEvent.EVENT_LEN_OFFSET);
            byte[] second = java.util.Arrays.copyOfRange(served, 4 + fdeLength, served.length);
            assertThat(LogEvent.type(second)).as("the event after the FDE").isEqualTo(LogEvent.START_ENCRYPTION_EVENT);
            assertThat(LogEvent.isIgnorable(second)).isTrue();
        } finally {
            Processes.deleteTree(download);
        }
        assertThat(kingbus.messages().stream().filter(line -> line.contains("is encrypted on its disk")))
                .as("one warning that Kingbus keeps the binlog unencrypted").hasSize(1);
    }
}
