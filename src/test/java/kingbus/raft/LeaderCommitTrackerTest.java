package kingbus.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.jgroups.protocols.raft.AppendEntriesRequest;
import org.jgroups.protocols.raft.AppendEntriesResponse;
import org.jgroups.protocols.raft.AppendResult;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.Test;

class LeaderCommitTrackerTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void readsTermAndLeaderCommitFromTheWireForm() throws Exception {
        AppendEntriesRequest request = new AppendEntriesRequest(UUID.randomUUID(), 7, 41, 6, 7, 1234567);
        LeaderCommitTracker.Fields fields = LeaderCommitTracker.Fields.of(request);
        assertThat(fields.term()).isEqualTo(7);
        assertThat(fields.prevIndex()).isEqualTo(41);
        assertThat(fields.prevTerm()).isEqualTo(6);
        assertThat(fields.entryTerm()).isEqualTo(7);
        assertThat(fields.leaderCommit()).isEqualTo(1234567);
    }

    @Test
    void anAcknowledgementBeyondWhatIsVerifiedIsLoweredAndFailuresPassUnchanged() throws Exception {
        AppendEntriesResponse stale = new AppendEntriesResponse(9, new AppendResult(AppendResult.Result.OK, 120)
                .commitIndex(100));
        AppendEntriesResponse lowered = LeaderCommitTracker.clamp(stale, 105);
        assertThat(lowered).isNotSameAs(stale);
        assertThat(lowered.currTerm()).isEqualTo(9);
        assertThat(lowered.toString()).contains("true").contains("index=105").contains("commit-index=100");

        assertThat(LeaderCommitTracker.clamp(stale, 120)).isSameAs(stale);
        AppendEntriesResponse refused = new AppendEntriesResponse(9,
                new AppendResult(AppendResult.Result.FAIL_ENTRY_NOT_FOUND, 120));
        assertThat(LeaderCommitTracker.clamp(refused, 50)).isSameAs(refused);
    }

    @Test
    void behindIsTheAgeOfTheOldestAnnouncedCommitNotYetApplied() {
        LeaderCommitTracker tracker = new LeaderCommitTracker();
        assertThat(tracker.behindNanos(0, 0)).isZero();
        tracker.announce(1, 10, 0);
        tracker.announce(1, 20, 2 * SECOND);
        tracker.announce(1, 15, 3 * SECOND); // older news: ignored
        assertThat(tracker.leaderCommit()).isEqualTo(20);
        assertThat(tracker.behindNanos(5, 4 * SECOND)).isEqualTo(4 * SECOND);
        assertThat(tracker.behindNanos(10, 4 * SECOND)).isEqualTo(2 * SECOND);
        assertThat(tracker.behindNanos(20, 4 * SECOND)).isZero();
    }

    @Test
    void announcementsOfAnOlderTermAreIgnored() {
        LeaderCommitTracker tracker = new LeaderCommitTracker();
        tracker.announce(3, 10, 0);
        tracker.announce(2, 50, SECOND);
        assertThat(tracker.leaderCommit()).isEqualTo(10);
        tracker.announce(4, 12, SECOND);
        assertThat(tracker.leaderCommit()).isEqualTo(12);
    }
}
