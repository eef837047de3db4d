package org.microcert.persistence.card;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real SoftHSM2 for the tests, made once per test JVM under {@code target/softhsm}: the
 * configuration file that {@code SOFTHSM2_CONF} (set by the persistence pom for Surefire) names,
 * a fresh token directory, and one initialised token per label. Everything happens before the
 * first SunPKCS11 provider loads the library, which reads the configuration only then.
 */
public final class SoftHsm {

    public static final char[] PIN = "user-pin-2468".toCharArray();
    private static final String SO_PIN = "so-pin-1357";
    /** Token labels: card-a/b/c for the card contract, the others for single tests (tools: the command-line tools). */
    static final List<String> LABELS = List.of("card-a", "card-b", "card-c", "pin-check", "generated",
            "ceremony-1", "ceremony-2", "tools", "ceremony-master", "ceremony-replica", "wrap-probe");
    private static final Pattern SLOT = Pattern.compile("reassigned to slot (\\d+)");
    private static Map<String, Long> slots;

    private SoftHsm() {
    }

    /** The configuration of the token labelled {@code label}. */
    public static synchronized Pkcs11Config token(String label) {
        if (slots == null) {
            slots = initialise();
        }
        Long slot = slots.get(label);
        if (slot == null) {
            throw new IllegalArgumentException("no test token " + label);
        }
        return Pkcs11Config.slot(Pkcs11Config.SOFTHSM2_LIBRARY, slot);
    }

    private static Map<String, Long> initialise() {
        String conf = System.getenv("SOFTHSM2_CONF");
        if (conf == null) {
            fail("SOFTHSM2_CONF is not set: run the tests through Maven (persistence/pom.xml sets it)");
        }
        if (!Files.isRegularFile(Pkcs11Config.SOFTHSM2_LIBRARY)) {
            fail("SoftHSM2 is not installed (apt-get install -y softhsm2; ops/bin/test does it)");
        }
        try {
            Path confFile = Path.of(conf);
            Path tokens = confFile.resolveSibling("tokens");
            if (Files.exists(tokens)) {
                try (Stream<Path> walk = Files.walk(tokens)) {
                    walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            Files.createDirectories(tokens);
            Files.writeString(confFile, "directories.tokendir = " + tokens.toAbsolutePath() + "\n"
                    + "objectstore.backend = file\nlog.level = ERROR\n");
            Map<String, Long> out = new LinkedHashMap<>();
            for (String label : LABELS) {
                String output = run("softhsm2-util", "--init-token", "--free", "--label", label,
                        "--pin", new String(PIN), "--so-pin", SO_PIN);
                Matcher m = SLOT.matcher(output);
                if (!m.find()) {
                    fail("softhsm2-util did not report a slot for " + label + ": " + output);
                }
                out.put(label, Long.parseLong(m.group(1)));
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot set up SoftHSM2 under " + conf, e);
        }
    }

    private static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                fail(command[0] + " failed: " + output);
            }
            return output;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Deletes every key from a test token so a test starts with an empty card. */
    static void wipe(String label) {
        Pkcs11Token t = Pkcs11Token.login(token(label), PIN);
        try {
            t.keys().keySet().forEach(t::deleteKey);
        } finally {
            t.release();
        }
    }

    /** Puts the keys of {@code keys} that the token lacks onto it, as the ceremony does. */
    static void putMissing(String label, CardKeyMaterial keys) {
        Pkcs11Token t = Pkcs11Token.login(token(label), PIN);
        try {
            KeyCeremony.importMissing(t, keys);
        } finally {
            t.release();
        }
    }
}
