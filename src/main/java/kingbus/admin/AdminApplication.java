package kingbus.admin;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** Mounts the admin API under {@code /api}. Stateless. */
@ApplicationPath("/api")
public class AdminApplication extends Application {}
