package kingbus.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import kingbus.gtid.GtidList;
import org.junit.jupiter.api.Test;

/** Which files may follow the binlog held, by the GTID_LIST_EVENT they begin with ({@link BinlogSyncer#beginsAfter}). */
class ContinuityCheckTest {

    private static boolean follows(String listed, String held) {
        return BinlogSyncer.beginsAfter(GtidList.parse(listed), GtidList.parse(held));
    }

    @Test
    void aFileThatBeginsWhereTheHeldBinlogEndsOrLaterFollowsIt() {
        assertThat(follows("0-1-100", "0-1-100")).isTrue();
        assertThat(follows("0-1-150", "0-1-100")).isTrue();
        assertThat(follows("0-1-90,0-2-120", "0-1-100")).as("a domain's newest GTID, of any server").isTrue();
        assertThat(follows("0-1-100", "0-1-100,1-1-5")).as("a domain the master dropped").isTrue();
    }

    @Test
    void aFileThatBeginsBeforeTheHeldBinlogEndsOrSharesNoDomainDoesNot() {
        assertThat(follows("0-1-50", "0-1-100")).isFalse();
        assertThat(follows("", "0-1-100")).as("a binlog begun after the held one was reset, or another server's")
                .isFalse();
        assertThat(follows("0-1-100,1-1-4", "0-1-100,1-1-5")).isFalse();
        assertThat(follows("2-3-7", "0-1-100")).isFalse();
    }
}
