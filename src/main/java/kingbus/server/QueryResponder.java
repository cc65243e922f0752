package kingbus.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kingbus.gtid.GtidList;
import kingbus.gtid.MariadbGtid;
import kingbus.protocol.binlog.EventChecksum;
import kingbus.protocol.binlog.EventInfo;
import kingbus.protocol.binlog.LogEvent;
import kingbus.protocol.codec.PacketIO;
import kingbus.protocol.packet.ErrorCode;
import kingbus.protocol.packet.Packets;
import kingbus.protocol.packet.ResultSetWriter;
import kingbus.store.BinlogFile;
import kingbus.store.BinlogPurger;
import kingbus.store.PurgePlan;
import kingbus.store.PurgeRequest;
import kingbus.store.BinlogUnavailableException;
import kingbus.store.EventCursor;
import kingbus.store.StoreCorruptException;
import kingbus.store.StoredEvent;

/**
 * Answers the text statements replicas, binlog tools and operators send before (or instead of) a
 * dump: a registry of statement patterns, each with a small responder, tried in order. A statement
 * no pattern matches gets ER_PARSE_ERROR "Kingbus does not support: ..."; the connection stays open.
 *
 * <p>One per session; not thread-safe.
 */
final class QueryResponder {

    private static final Logger LOG = Logger.getLogger(QueryResponder.class.getName());
    private static final int FLAGS = Pattern.CASE_INSENSITIVE | Pattern.DOTALL;
    /** Leading comments such as {@code /* mysql-connector-java ... *}{@code /} and trailing semicolons. */
    private static final Pattern LEADING_COMMENT = Pattern.compile("^\\s*/\\*.*?\\*/\\s*", Pattern.DOTALL);

    private static final Pattern SHOW_WARNINGS = Pattern.compile("SHOW\\s+WARNINGS", FLAGS);
    /** The literal PURGE BINARY LOGS BEFORE accepts: a quoted DATETIME, fractions of a second allowed. */
    private static final Pattern DATETIME_LITERAL =
            Pattern.compile("'(\\d{4}-\\d{2}-\\d{2})(?:[ T](\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,6})?)?))?'");

    private static final Pattern TRAILING_LIMIT = Pattern.compile("(?i)^(SELECT\\s.*?)\\s+LIMIT\\s+1$", FLAGS);

    /** One statement form and how to answer it. */
    private record Rule(Pattern pattern, Responder responder) {}

    @FunctionalInterface
    private interface Responder {
        void answer(PacketIO io, Matcher match) throws IOException;
    }

    private final MysqlServer server;
    private final ClientSession session;
    private final List<Rule> rules = new ArrayList<>();
    /** The warnings of the last statement (Level, Code, Message), for SHOW WARNINGS. */
    private final List<String[]> warnings = new ArrayList<>();

    QueryResponder(MysqlServer server, ClientSession session) {
        this.server = server;
        this.session = session;
        rule("SET\\s+(.*)", this::set);
        rule("SELECT\\s+UNIX_TIMESTAMP\\(\\s*\\)", (io, m) ->
                single(io, "UNIX_TIMESTAMP()", String.valueOf(System.currentTimeMillis() / 1000)));
        rule("SELECT\\s+VERSION\\(\\s*\\)", (io, m) -> single(io, "VERSION()", ServerVariables.version(server.store())));
        rule("SELECT\\s+binlog_gtid_pos\\(\\s*'([^']*)'\\s*,\\s*(\\d+)\\s*\\)", this::binlogGtidPos);
        rule("SHOW\\s+(?:GLOBAL\\s+|SESSION\\s+)?VARIABLES(?:\\s+LIKE\\s+'([^']*)')?", this::showVariables);
        rule("SHOW\\s+(?:MASTER|BINLOG)\\s+STATUS", this::showMasterStatus);
        rule("SHOW\\s+BINARY\\s+LOG\\s+STATUS", this::showMasterStatus);
        rule("SHOW\\s+(?:BINARY|MASTER)\\s+LOGS", this::showBinaryLogs);
        rule("SHOW\\s+(?:SLAVE|REPLICA)\\s+HOSTS", this::showSlaveHosts);
        rule("SHOW\\s+BINLOG\\s+EVENTS(?:\\s+IN\\s+'([^']*)')?(?:\\s+FROM\\s+(\\d+))?"
                + "(?:\\s+LIMIT\\s+(?:(\\d+)\\s*,\\s*)?(\\d+)(?:\\s+OFFSET\\s+(\\d+))?)?", this::showBinlogEvents);
        rule("SHOW\\s+WARNINGS", this::showWarnings);
        rule("PURGE\\s+(?:BINARY|MASTER)\\s+LOGS\\s+TO\\s+'([^']*)'", this::purgeTo);
        rule("PURGE\\s+(?:BINARY|MASTER)\\s+LOGS\\s+BEFORE\\s+(.*)", this::purgeBefore);
        rule("CHANGE\\s+(?:MASTER|REPLICATION\\s+SOURCE)\\s+TO\\s+(.*)", this::changeMaster);
        rule("SELECT\\s+((?:@@?[\\w.]+\\s*(?:AS\\s+\\w+\\s*)?,?\\s*)+)", this::selectVariables);
        rule("SELECT\\s+(-?\\d+)", (io, m) -> single(io, m.group(1), m.group(1)));
    }

    private void rule(String regex, Responder responder) {
        rules.add(new Rule(Pattern.compile(regex, FLAGS), responder));
    }

    void answer(PacketIO io, String statement) throws IOException {
        String sql = LEADING_COMMENT.matcher(statement).replaceFirst("").trim();
        while (sql.endsWith(";")) {
            sql = sql.substring(0, sql.length() - 1).trim();
        }
        // `select @@version_comment limit 1` (the mariadb client): one row is all Kingbus ever answers.
        sql = TRAILING_LIMIT.matcher(sql).replaceFirst("$1");
        if (!SHOW_WARNINGS.matcher(sql).matches()) {
            warnings.clear(); // as in MariaDB: each statement but SHOW WARNINGS starts a new list
        }
        for (Rule rule : rules) {
            Matcher match = rule.pattern().matcher(sql);
            if (match.matches()) {
                rule.responder().answer(io, match);
                return;
            }
        }
        LOG.fine(() -> "Unsupported statement from connection " + session.connectionId() + ": " + statement);
        session.sendError(io, ErrorCode.ER_PARSE_ERROR, "Kingbus does not support: " + abbreviate(statement));
    }

    private static String abbreviate(String statement) {
        String s = statement.strip();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    // ---------------------------------------------------------------- SET

    /** {@code SET @a = x, @b = y}; user variables are kept, everything else is accepted and ignored. */
    private void set(PacketIO io, Matcher match) throws IOException {
        for (String assignment : splitTopLevel(match.group(1))) {
            int eq = assignment.indexOf('=');
            if (eq < 0) {
                continue; // SET NAMES utf8 and the like
            }
            String name = assignment.substring(0, eq).trim();
            String value = assignment.substring(eq + 1).trim();
            if (name.startsWith("@") && !name.startsWith("@@")) {
                String variable = unquoteName(name.substring(1)).toLowerCase(Locale.ROOT);
                String evaluated = evaluate(value);
                if (evaluated == null) {
                    session.userVariables().remove(variable);
                } else {
                    session.userVariables().put(variable, evaluated);
                }
            }
        }
        session.send(io, Packets.ok());
    }

    /** {@code @`name`} and {@code @'name'} name the same variable as {@code @name}. */
    private static String unquoteName(String name) {
        String n = name.trim();
        if (n.length() >= 2 && (n.charAt(0) == '`' || n.charAt(0) == '\'' || n.charAt(0) == '"')
                && n.charAt(n.length() - 1) == n.charAt(0)) {
            return n.substring(1, n.length() - 1);
        }
        return n;
    }

    /**
     * The value of a SET's right-hand side: a quoted string, a system variable, NULL (null: the
     * variable is unset) or a bare literal.
     */
    private String evaluate(String expression) {
        String e = expression.trim();
        if (e.equalsIgnoreCase("NULL")) {
            return null;
        }
        if (e.length() >= 2 && (e.startsWith("'") && e.endsWith("'") || e.startsWith("\"") && e.endsWith("\""))) {
            return e.substring(1, e.length() - 1).replace("''", "'");
        }
        if (e.startsWith("@@")) {
            String name = e.substring(2).replaceFirst("(?i)^(global|session)\\.", "");
            return ServerVariables.get(server, name).orElse("");
        }
        return e;
    }

    /** Splits on commas outside quotes. */
    static List<String> splitTopLevel(String text) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        char quote = 0;
        for (char c : text.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
                current.append(c);
            } else if (c == '\'' || c == '"') {
                quote = c;
                current.append(c);
            } else if (c == ',') {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (current.length() > 0) {
            parts.add(current.toString());
        }
        return parts;
    }

    // ---------------------------------------------------------------- SELECT @x, @@y

    private void selectVariables(PacketIO io, Matcher match) throws IOException {
        List<String> columns = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (String item : splitTopLevel(match.group(1))) {
            String expression = item.trim();
            String alias = null;
            Matcher as = Pattern.compile("(.+?)\\s+AS\\s+(\\w+)", FLAGS).matcher(expression);
            if (as.matches()) {
                expression = as.group(1).trim();
                alias = as.group(2);
            }
            columns.add(alias != null ? alias : expression);
            if (expression.startsWith("@@")) {
                String name = expression.substring(2).replaceFirst("(?i)^(global|session|local)\\.", "");
                values.add(ServerVariables.get(server, name).map(v -> ServerVariables.selectValue(name, v))
                        .orElse(null));
            } else {
                values.add(session.userVariables().get(unquoteName(expression.substring(1)).toLowerCase(Locale.ROOT)));
            }
        }
        ResultSetWriter result = new ResultSetWriter(columns);
        result.row(values.toArray(new String[0]));
        session.sendAll(io, result.packets(session.deprecateEof()));
    }

    private void single(PacketIO io, String column, String value) throws IOException {
        session.sendAll(io, ResultSetWriter.of(column).row(value).packets(session.deprecateEof()));
    }

    // ---------------------------------------------------------------- SHOW

    private void showVariables(PacketIO io, Matcher match) throws IOException {
        String like = match.group(1);
        Pattern filter = like == null ? null
                : Pattern.compile(like.replace(".", "\\.").replace("%", ".*").replace("_", "."), FLAGS);
        ResultSetWriter result = ResultSetWriter.of("Variable_name", "Value");
        for (Map.Entry<String, String> variable : ServerVariables.all(server).entrySet()) {
            if (filter == null || filter.matcher(variable.getKey()).matches()) {
                result.row(variable.getKey(), variable.getValue());
            }
        }
        session.sendAll(io, result.packets(session.deprecateEof()));
    }

    private void showMasterStatus(PacketIO io, Matcher match) throws IOException {
        ResultSetWriter result = ResultSetWriter.of("File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB");
        List<BinlogFile> files = server.store().files();
        if (!files.isEmpty()) {
            BinlogFile last = files.get(files.size() - 1);
            result.row(last.name(), String.valueOf(last.endPosition()), "", "");
        }
        session.sendAll(io, result.packets(session.deprecateEof()));
    }

    private void showBinaryLogs(PacketIO io, Matcher match) throws IOException {
        ResultSetWriter result = ResultSetWriter.of("Log_name", "File_size");
        for (BinlogFile file : server.store().files()) {
            result.row(file.name(), String.valueOf(file.size()));
        }
        session.sendAll(io, result.packets(session.deprecateEof()));
    }

    /**
     * {@code SHOW BINLOG EVENTS [IN 'file'] [FROM pos] [LIMIT [offset,] count | LIMIT count OFFSET offset]}: the
     * events of one held file (the oldest without {@code IN}), with MariaDB's columns and texts ({@link EventInfo}),
     * streamed row by row. As MariaDB, the column definitions go first, and error 1220 takes the place of the rows'
     * end for a file not held, a position past its end or not at an event's start (a client then reports it when it
     * reads the rows).
     */
    private void showBinlogEvents(PacketIO io, Matcher match) throws IOException {
        for (byte[] packet : ResultSetWriter.of("Log_name", "Pos", "Event_type", "Server_id", "End_log_pos", "Info")
                .headerPackets(session.deprecateEof())) {
            io.write(packet);
        }
        byte[] end;
        try {
            streamBinlogEvents(io, match);
            end = Packets.endOfRows(session.deprecateEof());
        } catch (BinlogUnavailableException | StoreCorruptException e) {
            // A damaged store (found by this read or before) ends the listing with its reason; the session stays.
            end = Packets.error(ErrorCode.ER_ERROR_WHEN_EXECUTING_COMMAND,
                    "Error when executing command SHOW BINLOG EVENTS: " + e.getMessage());
        }
        io.write(end);
        io.flush();
    }

    /** The rows of {@link #showBinlogEvents}; throws with MariaDB's reason when the file or position is not held. */
    private void streamBinlogEvents(PacketIO io, Matcher match) throws IOException {
        String name = match.group(1);
        Optional<BinlogFile> held = name == null ? server.store().files().stream().findFirst()
                : server.store().file(name);
        if (held.isEmpty()) {
            if (name == null) {
                return; // nothing committed yet: no binlog to show
            }
            throw new BinlogUnavailableException("Could not find target log");
        }
        BinlogFile file = held.get();
        long from = match.group(2) == null ? file.firstPosition()
                : Math.max(Long.parseLong(match.group(2)), BinlogFile.BIN_LOG_HEADER_SIZE);
        String offset = match.group(3) != null ? match.group(3) : match.group(5); // LIMIT m, n or LIMIT n OFFSET m
        long skip = offset == null ? 0 : Long.parseLong(offset);
        long limit = match.group(4) == null ? Long.MAX_VALUE : Long.parseLong(match.group(4));
        if (from > file.endPosition()) {
            throw new BinlogUnavailableException("Invalid pos specified. Requested from pos:" + from
                    + " is greater than actual file size:" + file.endPosition());
        }
        if (from < file.firstPosition()) {
            throw new BinlogUnavailableException("Kingbus holds '" + file.name() + "' from position "
                    + file.firstPosition() + " on (it started replicating in the middle of that file)");
        }
        EventCursor cursor;
        try {
            cursor = server.store().open(file.name(), from, "SHOW BINLOG EVENTS (connection "
                    + session.connectionId() + ")");
        } catch (BinlogUnavailableException e) {
            throw new BinlogUnavailableException("Wrong offset or I/O error");
        }
        byte[] fde = file.formatDescription();
        // The file's FORMAT_DESCRIPTION says whether its events end with a CRC32; without it (a file held from its
        // middle) each event is checked.
        Boolean crc = fde == null ? null : LogEvent.checksumAlgorithm(fde) == LogEvent.BINLOG_CHECKSUM_ALG_CRC32;
        try (cursor) {
            long index = 0;
            long sent = 0;
            for (StoredEvent stored = cursor.next(); stored != null && stored.file().equals(file.name())
                    && sent < limit; stored = cursor.next()) {
                if (index++ < skip) {
                    continue;
                }
                byte[] event = stored.bytes();
                boolean checksum = crc != null ? crc : EventChecksum.matches(event);
                io.write(ResultSetWriter.rowPacket(utf8(stored.file()), utf8(String.valueOf(stored.position())),
                        utf8(EventInfo.typeName(stored.type())), utf8(String.valueOf(LogEvent.serverId(event))),
                        utf8(String.valueOf(LogEvent.logPos(event))), EventInfo.info(event, checksum)));
                sent++;
            }
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private void showSlaveHosts(PacketIO io, Matcher match) throws IOException {
        ResultSetWriter result = ResultSetWriter.of("Server_id", "Host", "Port", "Master_id");
        for (ClientSession replica : server.replicas()) {
            if (replica.registration() != null) {
                result.row(String.valueOf(replica.registration().serverId()), replica.registration().host(),
                        String.valueOf(replica.registration().port()), String.valueOf(server.settings().serverId()));
            }
        }
        session.sendAll(io, result.packets(session.deprecateEof()));
    }

    private void showWarnings(PacketIO io, Matcher match) throws IOException {
        ResultSetWriter result = ResultSetWriter.of("Level", "Code", "Message");
        for (String[] warning : warnings) {
            result.row(warning);
        }
        session.sendAll(io, result.packets(session.deprecateEof()));
    }

    // ---------------------------------------------------------------- PURGE BINARY LOGS

    private void purgeTo(PacketIO io, Matcher match) throws IOException {
        purge(io, new PurgeRequest.To(match.group(1)));
    }

    /**
     * {@code PURGE BINARY LOGS BEFORE 'YYYY-MM-DD hh:mm:ss'}, read in the JVM's time zone (a MariaDB
     * master reads it in the session's, which is the system's unless set). Only a quoted literal is
     * understood, not an expression such as {@code NOW() - INTERVAL 3 DAY}.
     */
    private void purgeBefore(PacketIO io, Matcher match) throws IOException {
        Matcher literal = DATETIME_LITERAL.matcher(match.group(1).trim());
        java.time.Instant time;
        try {
            if (!literal.matches()) {
                throw new java.time.DateTimeException("not a quoted datetime literal");
            }
            java.time.LocalDate date = java.time.LocalDate.parse(literal.group(1));
            java.time.LocalTime clock = literal.group(2) == null ? java.time.LocalTime.MIDNIGHT
                    : java.time.LocalTime.parse(literal.group(2));
            time = date.atTime(clock).atZone(java.time.ZoneId.systemDefault()).toInstant();
        } catch (java.time.DateTimeException e) {
            session.sendError(io, ErrorCode.ER_WRONG_ARGUMENTS, "Incorrect arguments to PURGE LOGS BEFORE: Kingbus"
                    + " takes a quoted 'YYYY-MM-DD hh:mm:ss' in time zone " + java.time.ZoneId.systemDefault()
                    + ", not " + abbreviate(match.group(1)));
            return;
        }
        purge(io, new PurgeRequest.Before(time));
    }

    private void purge(PacketIO io, PurgeRequest request) throws IOException {
        if (!session.user().equals(server.settings().adminUser())) {
            session.sendError(io, ErrorCode.ER_SPECIFIC_ACCESS_DENIED_ERROR, "Access denied; you need (at least one of)"
                    + " the SUPER, BINLOG ADMIN privilege(s) for this operation: on Kingbus, log in as the admin user ('"
                    + server.settings().adminUser() + "') to purge");
            return;
        }
        Optional<BinlogPurger> purger = server.purger();
        if (purger.isEmpty()) {
            session.sendError(io, ErrorCode.ER_NOT_SUPPORTED_YET, "This Kingbus node cannot purge binlog files");
            return;
        }
        PurgePlan plan;
        try {
            plan = purger.get().purge(request);
        } catch (IllegalArgumentException e) {
            LOG.warning("Refused a purge from connection " + session.connectionId() + ": " + e.getMessage());
            session.sendError(io, ErrorCode.ER_UNKNOWN_TARGET_BINLOG, e.getMessage());
            return;
        } catch (IllegalStateException e) {
            LOG.warning("A purge from connection " + session.connectionId() + " failed: " + e.getMessage());
            session.sendError(io, ErrorCode.ER_UNKNOWN_ERROR, e.getMessage());
            return;
        }
        plan.heldBackMessage().ifPresent(message -> warnings.add(new String[] {"Warning",
                String.valueOf(ErrorCode.ER_WARN_PURGE_LOG_IN_USE.code()), message}));
        session.send(io, Packets.ok(warnings.size()));
    }

    // ---------------------------------------------------------------- CHANGE MASTER TO

    /** One {@code NAME = value} of CHANGE MASTER TO: a quoted string or a number. */
    private static final Pattern CHANGE_MASTER_OPTION = Pattern.compile(
            "\\s*(\\w+)\\s*=\\s*(?:'((?:[^'\\\\]|\\\\.)*)'|(\\d+))\\s*(?:,|$)", FLAGS);

    /**
     * {@code CHANGE MASTER TO MASTER_HOST='h', MASTER_PORT=n} (or {@code CHANGE REPLICATION SOURCE TO SOURCE_HOST,
     * SOURCE_PORT}) on an admin connection: repoints the whole cluster, as {@code PUT /api/v1/master} does. Only the
     * address: the account and TLS are each node's configuration.
     */
    private void changeMaster(PacketIO io, Matcher match) throws IOException {
        if (!session.user().equals(server.settings().adminUser())) {
            session.sendError(io, ErrorCode.ER_SPECIFIC_ACCESS_DENIED_ERROR, "Access denied; you need (at least one of)"
                    + " the SUPER, REPLICATION SLAVE ADMIN privilege(s) for this operation: on Kingbus, log in as the"
                    + " admin user ('" + server.settings().adminUser() + "') to repoint it");
            return;
        }
        Optional<MasterSwitch> masterSwitch = server.masterSwitch();
        if (masterSwitch.isEmpty()) {
            session.sendError(io, ErrorCode.ER_NOT_SUPPORTED_YET, "This Kingbus node cannot repoint the cluster");
            return;
        }
        String host = null;
        Integer port = null;
        Matcher option = CHANGE_MASTER_OPTION.matcher(match.group(1));
        int at = 0;
        while (at < match.group(1).length()) {
            if (!option.find(at) || option.start() != at) {
                session.sendError(io, ErrorCode.ER_WRONG_ARGUMENTS, "Kingbus reads CHANGE MASTER TO"
                        + " MASTER_HOST='host', MASTER_PORT=port and nothing else; could not read: "
                        + match.group(1).substring(at).strip());
                return;
            }
            String name = option.group(1).toUpperCase(Locale.ROOT);
            switch (name) {
                case "MASTER_HOST", "SOURCE_HOST" -> host = option.group(2);
                case "MASTER_PORT", "SOURCE_PORT" -> port = option.group(3) == null ? -1 : parsePort(option.group(3));
                default -> {
                    session.sendError(io, ErrorCode.ER_NOT_SUPPORTED_YET, "Kingbus takes only MASTER_HOST and"
                            + " MASTER_PORT here, not " + name + ": the account and TLS are each node's"
                            + " kingbus.master.* settings");
                    return;
                }
            }
            at = option.end();
        }
        if (host == null || port == null) {
            session.sendError(io, ErrorCode.ER_WRONG_ARGUMENTS, "Give both MASTER_HOST and MASTER_PORT: Kingbus"
                    + " repoints the whole cluster to that address");
            return;
        }
        try {
            masterSwitch.get().switchTo(host, port);
        } catch (IllegalArgumentException e) {
            LOG.warning("Refused CHANGE MASTER TO from connection " + session.connectionId() + ": " + e.getMessage());
            session.sendError(io, ErrorCode.ER_WRONG_ARGUMENTS, "Bad master for CHANGE MASTER TO: " + e.getMessage());
            return;
        } catch (IllegalStateException e) {
            LOG.warning("CHANGE MASTER TO from connection " + session.connectionId() + " failed: " + e.getMessage());
            session.sendError(io, ErrorCode.ER_UNKNOWN_ERROR, e.getMessage());
            return;
        }
        session.send(io, Packets.ok(0));
    }

    /** A port number, or -1 when it is too long to be one (the switch refuses it). */
    private static int parsePort(String digits) {
        return digits.length() > 5 ? -1 : Integer.parseInt(digits);
    }

    // ---------------------------------------------------------------- binlog_gtid_pos

    /** The GTID position at (file, pos): the file's start state plus the groups before pos; NULL if unknown. */
    private void binlogGtidPos(PacketIO io, Matcher match) throws IOException {
        String column = match.group(0).substring(match.group(0).toLowerCase(Locale.ROOT).indexOf("binlog_gtid_pos"));
        single(io, column, gtidPosition(match.group(1), Long.parseLong(match.group(2))).map(GtidList::toString)
                .orElse(null));
    }

    private Optional<GtidList> gtidPosition(String fileName, long position) {
        Optional<BinlogFile> file = server.store().file(fileName);
        if (file.isEmpty() || position > file.get().endPosition()) {
            return Optional.empty();
        }
        GtidList state = file.get().startState();
        long from = file.get().firstPosition();
        long at = Math.max(position, BinlogFile.BIN_LOG_HEADER_SIZE);
        if (at <= from) {
            return at == from || from == BinlogFile.BIN_LOG_HEADER_SIZE ? Optional.of(state.perDomain())
                    : Optional.empty();
        }
        boolean boundary = false;
        try (EventCursor cursor = server.store().open(fileName, from)) {
            for (StoredEvent event = cursor.next(); event != null && event.file().equals(fileName)
                    && event.position() < at; event = cursor.next()) {
                byte[] bytes = event.bytes();
                if (LogEvent.type(bytes) == LogEvent.GTID_EVENT) {
                    state = state.with(new MariadbGtid(LogEvent.gtidDomain(bytes), LogEvent.serverId(bytes),
                            LogEvent.gtidSequence(bytes)));
                }
                boundary = event.endPosition() == at;
            }
        } catch (BinlogUnavailableException e) {
            return Optional.empty();
        }
        // MariaDB answers NULL (with a warning) for a position that is not an event boundary.
        return boundary ? Optional.of(state.perDomain()) : Optional.empty();
    }
}
