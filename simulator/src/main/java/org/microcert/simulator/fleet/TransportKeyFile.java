package org.microcert.simulator.fleet;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import javax.crypto.SecretKey;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.simulator.gateway.GatewayClient.GatewayException;

/**
 * Reads the factory station's copy of K_trans: a password-protected keystore (BCFKS, as the key
 * ceremony writes, or PKCS#12) holding one AES-256 secret key. The raw bytes exist only in memory,
 * while the fleet's TRANSPORT envelopes are sealed, and are wiped afterwards by the caller.
 */
public final class TransportKeyFile {

    /** Environment variable holding the export's password (when no password file is given). */
    public static final String PASSWORD_ENV = "MICROCERT_TRANSPORT_KEY_PASSWORD";

    private TransportKeyFile() {}

    /**
     * @return the 32 raw bytes of K_trans; the caller wipes them
     * @throws GatewayException (a set-up error) naming what is wrong with the file or password
     */
    public static byte[] load(Path file, Path passwordFile) {
        char[] password = password(passwordFile);
        try {
            KeyStore ks = open(file, password);
            List<String> secretAliases = new ArrayList<>();
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.entryInstanceOf(alias, KeyStore.SecretKeyEntry.class)) {
                    secretAliases.add(alias);
                }
            }
            String alias = secretAliases.size() == 1 ? secretAliases.get(0)
                    : secretAliases.stream().filter(a -> a.toLowerCase(Locale.ROOT).contains("trans")).findFirst()
                            .orElseThrow(() -> new GatewayException(file + " holds " + secretAliases.size()
                                    + " secret keys and none is named like a transport key"));
            Key key = ks.getKey(alias, password);
            byte[] raw = key instanceof SecretKey ? key.getEncoded() : null;
            if (raw == null || raw.length != SeedEnvelope.TRANSPORT_KEY_LENGTH) {
                throw new GatewayException("the key in " + file + " is not a " + SeedEnvelope.TRANSPORT_KEY_LENGTH
                        + "-byte AES key");
            }
            return raw;
        } catch (GeneralSecurityException e) {
            throw new GatewayException("cannot read the transport key from " + file + ": " + e.getClass().getSimpleName());
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static KeyStore open(Path file, char[] password) throws GeneralSecurityException {
        GatewayException last = null;
        for (String type : new String[] {"BCFKS", "PKCS12"}) {
            try (InputStream in = Files.newInputStream(file)) {
                KeyStore ks = type.equals("BCFKS") ? KeyStore.getInstance(type, new BouncyCastleProvider())
                        : KeyStore.getInstance(type);
                ks.load(in, password);
                return ks;
            } catch (java.nio.file.NoSuchFileException e) {
                throw new GatewayException("transport key file " + file + " does not exist (make one with the key ceremony)");
            } catch (IOException e) {
                last = new GatewayException("cannot open " + file + " as a keystore: wrong password or not a "
                        + "BCFKS/PKCS#12 file");
            }
        }
        throw last;
    }

    private static char[] password(Path passwordFile) {
        if (passwordFile != null) {
            try {
                return Files.readString(passwordFile, StandardCharsets.UTF_8).strip().toCharArray();
            } catch (IOException e) {
                throw new GatewayException("cannot read the transport key password file " + passwordFile);
            }
        }
        String env = System.getenv(PASSWORD_ENV);
        if (env == null || env.isEmpty()) {
            throw new GatewayException("the transport key's password is missing: set " + PASSWORD_ENV
                    + " or use --transport-key-password-file");
        }
        return env.toCharArray();
    }
}
