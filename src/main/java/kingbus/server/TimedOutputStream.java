package kingbus.server;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A socket's output that notes when a write into it began and has not returned yet, so that a watchdog can tell
 * a client that takes nothing (its socket buffer full, the write blocked) and close the connection: a blocking
 * Java socket write has no timeout of its own.
 *
 * <p>Written by one thread at a time (the session's); {@link #blockedNanos} may be called from any thread.
 */
final class TimedOutputStream extends FilterOutputStream {

    private volatile boolean writing;
    private volatile long since;

    TimedOutputStream(OutputStream out) {
        super(out);
    }

    /** How long the write in progress has been blocked at {@code now} ({@link System#nanoTime()}); 0 when none is. */
    long blockedNanos(long now) {
        long began = since;
        return writing ? Math.max(0, now - began) : 0;
    }

    @Override
    public void write(int b) throws IOException {
        begin();
        try {
            out.write(b);
        } finally {
            writing = false;
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        begin();
        try {
            out.write(b, off, len); // FilterOutputStream's own would write byte by byte
        } finally {
            writing = false;
        }
    }

    @Override
    public void flush() throws IOException {
        begin();
        try {
            out.flush();
        } finally {
            writing = false;
        }
    }

    private void begin() {
        since = System.nanoTime();
        writing = true;
    }
}
