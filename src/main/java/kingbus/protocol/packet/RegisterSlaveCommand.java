package kingbus.protocol.packet;

import kingbus.protocol.codec.PayloadReader;

/**
 * COM_REGISTER_SLAVE: {@code int<1> 0x15 | int<4> server_id | int<1> len, host | int<1> len, user |
 * int<1> len, password | int<2> port | int<4> rpl_recovery_rank | int<4> master_id}.
 */
public record RegisterSlaveCommand(long serverId, String host, String user, int port) {

    public static RegisterSlaveCommand parse(byte[] payload) {
        PayloadReader in = new PayloadReader(payload, 1);
        long serverId = in.int4();
        String host = new String(in.bytes(in.int1()), java.nio.charset.StandardCharsets.UTF_8);
        String user = new String(in.bytes(in.int1()), java.nio.charset.StandardCharsets.UTF_8);
        in.skip(in.int1()); // password: never kept
        int port = in.int2();
        return new RegisterSlaveCommand(serverId, host, user, port);
    }
}
