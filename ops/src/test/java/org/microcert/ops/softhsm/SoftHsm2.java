package org.microcert.ops.softhsm;

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
 * A real SoftHSM2 for tests, made once per test JVM: the configuration file that
 * {@code SOFTHSM2_CONF} names (the module's pom sets it for Surefire), a fresh token directory next
 * to it, and one initialised token per label. It must run before the first SunPKCS11 provider loads
 * the library, which reads the configuration (and lists the tokens) only then.
 */
public final class SoftHsm2 {

    /** Debian's SoftHSM2 module. */
    public static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");
    private static final String SO_PIN = "so-pin-1357";
    private static final Pattern SLOT = Pattern.compile("reassigned to slot (\\d+)");

    private static Map<String, Long> slots;

    private SoftHsm2() {
    }

    /**
     * The slot id of the token labelled {@code label}. The first call of the JVM initialises the
     * tokens of every label in {@code labels} (all with the user PIN {@code pin}); later calls
     * must pass the same list.
     */
    public static synchronized long slot(List<String> labels, char[] pin, String label) {
        if (slots == null) {
            slots = initialise(labels, pin);
        }
        Long slot = slots.get(label);
        if (slot == null) {
            throw new IllegalArgumentException("no test token " + label);
        }
        return slot;
    }

    /**
     * Wipes the token directory and initialises one token per label, all with the user PIN
     * {@code pin}.
     *
     * @return the slot id of each label's token
     */
    private static Map<String, Long> initialise(List<String> labels, char[] pin) {
        String conf = System.getenv("SOFTHSM2_CONF");
        if (conf == null) {
            throw new IllegalStateException("SOFTHSM2_CONF is not set: run the tests through Maven (the module's pom sets it)");
        }
        if (!Files.isRegularFile(LIBRARY)) {
            throw new IllegalStateException("SoftHSM2 is not installed (apt-get install -y softhsm2; ops/bin/test does it)");
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
            for (String label : labels) {
                String output = run("softhsm2-util", "--init-token", "--free", "--label", label,
                        "--pin", new String(pin), "--so-pin", SO_PIN);
                Matcher m = SLOT.matcher(output);
                if (!m.find()) {
                    throw new IllegalStateException("softhsm2-util did not report a slot for " + label + ": " + output);
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
                throw new IllegalStateException(command[0] + " failed: " + output);
            }
            return output;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
