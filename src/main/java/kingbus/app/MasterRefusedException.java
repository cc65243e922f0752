package kingbus.app;

/**
 * A master the operators chose was refused before anything was committed: the syncer could not pull from it (it
 * does not answer, refuses the account, writes no binary log or lacks transactions the cluster holds). An
 * {@link IllegalArgumentException}, so that {@code CHANGE MASTER TO} answers it as a bad argument.
 *
 * <p>Immutable.
 */
public final class MasterRefusedException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public MasterRefusedException(String message) {
        super(message);
    }
}
