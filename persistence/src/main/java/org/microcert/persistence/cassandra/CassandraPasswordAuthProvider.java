package org.microcert.persistence.cassandra;

import com.datastax.oss.driver.api.core.auth.AuthenticationException;
import com.datastax.oss.driver.api.core.auth.Authenticator;
import com.datastax.oss.driver.api.core.auth.PlainTextAuthProviderBase;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverExecutionProfile;
import com.datastax.oss.driver.api.core.context.DriverContext;
import com.datastax.oss.driver.api.core.metadata.EndPoint;
import java.util.Arrays;

/**
 * The driver's PLAIN authentication (Cassandra's {@code PasswordAuthenticator}) with the password
 * kept out of the configuration: {@code advanced.auth-provider.username}, and the password read from
 * {@code advanced.auth-provider.password-file} (or the variable {@code password-env}, default
 * {@code MICROCERT_CASSANDRA_PASSWORD}) each time the driver opens a connection, then wiped once the
 * driver has encoded it. A rotated password file is picked up by the next connection.
 *
 * <p>Named in {@code datastax-java-driver.advanced.auth-provider.class}.
 */
public final class CassandraPasswordAuthProvider extends PlainTextAuthProviderBase {

    private final DriverExecutionProfile config;
    /** The credentials handed to the driver's authenticator on this thread, wiped once it has encoded them. */
    private final ThreadLocal<Credentials> issued = new ThreadLocal<>();

    public CassandraPasswordAuthProvider(DriverContext context) {
        super(context.getSessionName());
        this.config = context.getConfig().getDefaultProfile();
    }

    @Override
    protected Credentials getCredentials(EndPoint endPoint, String serverAuthenticator) {
        String user = config.getString(DefaultDriverOption.AUTH_PROVIDER_USER_NAME, "");
        if (user.isBlank()) {
            throw new CassandraAccessException("datastax-java-driver.advanced.auth-provider.username is empty: set "
                    + CassandraAccess.USER_FLAG + " (" + CassandraAccess.USER_ENV + ")");
        }
        char[] password = CassandraAccess.password(config.getString(CassandraAccess.PASSWORD_FILE, ""),
                config.getString(CassandraAccess.PASSWORD_ENV_OPTION, CassandraAccess.PASSWORD_ENV), System::getenv,
                "password for Cassandra user " + user, CassandraAccess.PASSWORD_FLAG);
        Credentials credentials = new Credentials(user.toCharArray(), password);
        issued.set(credentials);
        return credentials;
    }

    @Override
    public Authenticator newAuthenticator(EndPoint endPoint, String serverAuthenticator) throws AuthenticationException {
        try {
            return super.newAuthenticator(endPoint, serverAuthenticator); // encodes the credentials
        } finally {
            Credentials c = issued.get();
            issued.remove();
            if (c != null) {
                Arrays.fill(c.getUsername(), '\0');
                Arrays.fill(c.getPassword(), '\0');
            }
        }
    }
}
