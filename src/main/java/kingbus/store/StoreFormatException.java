package kingbus.store;

/**
 * The store on disk was written in a format this Kingbus does not read (an older release). Not
 * damage: the bytes may be fine, this code just cannot read them.
 */
public class StoreFormatException extends RuntimeException {

    public StoreFormatException(String message) {
        super(message);
    }
}
