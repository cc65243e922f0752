package kingbus.admin;

import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.logging.Logger;
import kingbus.config.KingbusConfig;

/**
 * HTTP Basic authentication for every admin endpoint, against {@code kingbus.admin.user} /
 * {@code kingbus.admin.password}. An empty admin password disables the API (every call is 401).
 * When HTTPS is configured ({@code HTTPS_PORT}), clear-text requests get 403 before any
 * credential is looked at.
 * Passwords are compared in constant time and never logged.
 *
 * <p>Stateless; thread-safe.
 */
@Provider
public class BasicAuthFilter implements ContainerRequestFilter {

    private static final Logger LOG = Logger.getLogger(BasicAuthFilter.class.getName());
    private static final String BASIC = "Basic ";

    @Inject
    KingbusConfig config;

    @Override
    public void filter(ContainerRequestContext request) {
        if (config.tlsEnabled() && !request.getSecurityContext().isSecure()) {
            String https = "https://" + request.getUriInfo().getRequestUri().getHost() + ":" + config.httpsPort()
                    + request.getUriInfo().getRequestUri().getRawPath();
            request.abortWith(Response.status(Response.Status.FORBIDDEN).type(MediaType.APPLICATION_JSON)
                    .entity(Json.createObjectBuilder().add("error", 403)
                            .add("message", "TLS is configured: the admin API is served over HTTPS only, at " + https)
                            .build().toString())
                    .build());
            return;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (config.adminPassword().isEmpty()) {
            request.abortWith(unauthorized("The admin API is disabled: kingbus.admin.password is not set"));
            return;
        }
        if (header == null || !header.regionMatches(true, 0, BASIC, 0, BASIC.length())) {
            request.abortWith(unauthorized("Admin credentials are required (HTTP Basic)"));
            return;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(BASIC.length()).trim()),
                    StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            request.abortWith(unauthorized("The Authorization header is not valid Base64"));
            return;
        }
        int colon = decoded.indexOf(':');
        String user = colon < 0 ? decoded : decoded.substring(0, colon);
        String password = colon < 0 ? "" : decoded.substring(colon + 1);
        boolean userOk = constantTimeEquals(user, config.adminUser());
        boolean passwordOk = constantTimeEquals(password, config.adminPassword());
        if (!(userOk && passwordOk)) {
            LOG.warning("Admin API: refused credentials for user '" + user + "' on " + request.getUriInfo().getPath());
            request.abortWith(unauthorized("Wrong admin user or password"));
        }
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static Response unauthorized(String message) {
        return Response.status(Response.Status.UNAUTHORIZED)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"kingbus\"")
                .type(MediaType.APPLICATION_JSON)
                .entity(Json.createObjectBuilder().add("error", 401).add("message", message).build().toString())
                .build();
    }
}
