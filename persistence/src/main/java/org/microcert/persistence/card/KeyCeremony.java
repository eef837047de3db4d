package org.microcert.persistence.card;

import java.io.Console;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;

/**
 * The offline key ceremony (the paper's "physical isolation"): makes the center's keys in memory,
 * keeps them in a password-protected master keystore (itself a valid {@link SoftwareCard}), and
 * puts the same keys on every card of the center: software keystores and PKCS#11 tokens, where
 * they land as sensitive, non-extractable objects. No key is ever written in clear; in memory they
 * are wiped when each step ends. Cards are compared by key check values (KCV: the first 3 bytes of
 * AES-ECB of a zero block, or of an HMAC of a fixed label), which reveal nothing useful about a key.
 *
 * <p>Command line: see {@link #USAGE} and {@code docs/encryption-card.md}.
 */
public final class KeyCeremony {

    static final String USAGE = """
            usage: key-ceremony COMMAND OPTIONS
              create           --master FILE                       new master keystore: K_trans, K_store v1, integrity key
              distribute       --master FILE CARD...               put the master's keys on each card (adds what a card lacks)
              rotate           --master FILE CARD...               add a new K_store version to the master and every card
              export-transport --master FILE --out FILE [--iterations N]
                                                                   K_trans wrapped under a password, for the factory station
              show             CARD...                             key versions and check values of each card
            CARD is --software KEYSTORE or --pkcs11 CONFIG (library=..., slot=... or slot-list-index=...).
            Secrets: '--password-env VAR' (files) or '--pin-env VAR' (tokens) right after a file or card names
            the environment variable holding its password or PIN; without it the ceremony asks on the terminal.
            """;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] KCV_LABEL = "microcert/kcv".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** A card the ceremony writes to. */
    public sealed interface Card permits SoftwareFile, Token {
    }

    /** A software card's keystore file (created if missing) and its password. */
    public record SoftwareFile(Path keystore, char[] password) implements Card {
        @Override
        public String toString() {
            return "software card " + keystore;
        }
    }

    /** A PKCS#11 token and its user PIN. */
    public record Token(Pkcs11Config config, char[] pin) implements Card {
        @Override
        public String toString() {
            return "PKCS#11 card " + config.name();
        }
    }

    private KeyCeremony() {
    }

    /**
     * Creates a master keystore with fresh keys. Refuses to replace an existing file.
     *
     * @return the key check values by key name
     */
    public static SortedMap<String, String> create(Path master, char[] password) {
        CardKeyMaterial m = createMaster(master, password);
        try {
            return checkValues(m);
        } finally {
            m.destroy();
        }
    }

    /**
     * For tests and development only: {@link #create} plus the K_trans that the factory station
     * would load from an export, in one step, without the export file's KDF cost. A production
     * center runs {@code create} and {@code export-transport} offline instead.
     *
     * @return a copy of K_trans (32 bytes); the caller wipes it
     */
    public static byte[] createWithTransportKey(Path master, char[] password) {
        CardKeyMaterial m = createMaster(master, password);
        try {
            return m.transport().clone();
        } finally {
            m.destroy();
        }
    }

    private static CardKeyMaterial createMaster(Path master, char[] password) {
        if (Files.exists(master)) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, master + " already exists; not replacing it");
        }
        if (password.length == 0) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, "the master password is empty");
        }
        CardKeyMaterial m = CardKeyMaterial.generate(RANDOM);
        try {
            SoftwareCard.writeKeystore(master, password, m);
            return m;
        } catch (RuntimeException e) {
            m.destroy();
            throw e;
        }
    }

    /**
     * Puts the master's keys on every card: each card gets the keys it lacks. Checks every card
     * first and changes nothing if one holds a key that differs from the master's (another
     * center's card, or a half-finished ceremony with another master).
     */
    public static void distribute(Path master, char[] password, List<Card> cards) {
        CardKeyMaterial m = SoftwareCard.readKeystore(master, password);
        try {
            SortedMap<String, String> expected = checkValues(m);
            for (Card c : cards) {
                checkSubset(c, checkValues(c), expected);
            }
            for (Card c : cards) {
                put(c, m);
                verifySame(c, expected);
            }
        } finally {
            m.destroy();
        }
    }

    /**
     * Adds K_store version n+1 to the master, then to every card. Every card must hold exactly the
     * master's keys first. If a card fails half-way, the master already holds the new version:
     * {@link #distribute} then completes the others.
     *
     * @return the new version
     */
    public static int rotate(Path master, char[] password, List<Card> cards) {
        CardKeyMaterial m = SoftwareCard.readKeystore(master, password);
        try {
            SortedMap<String, String> before = checkValues(m);
            for (Card c : cards) {
                if (!checkValues(c).equals(before)) {
                    throw new CardException(CardException.Reason.INVALID_CARD, c + " does not hold exactly the master's keys: "
                            + "run 'distribute' first (or it belongs to another center)");
                }
            }
            int v = m.addStoreVersion(RANDOM);
            SoftwareCard.writeKeystore(master, password, m);
            SortedMap<String, String> after = checkValues(m);
            for (Card c : cards) {
                put(c, m);
                verifySame(c, after);
            }
            return v;
        } finally {
            m.destroy();
        }
    }

    /** Writes K_trans wrapped under {@code exportPassword} for the factory station ({@link FactoryTransportKey}). */
    public static void exportTransport(Path master, char[] password, Path out, char[] exportPassword, int iterations) {
        CardKeyMaterial m = SoftwareCard.readKeystore(master, password);
        try {
            FactoryTransportKey.write(out, m.transport(), exportPassword, iterations, RANDOM);
        } finally {
            m.destroy();
        }
    }

    /** The key check values of a card's MicroCert keys by alias; empty for a keystore file that does not exist yet. */
    public static SortedMap<String, String> checkValues(Card card) {
        if (card instanceof SoftwareFile f) {
            if (!Files.exists(f.keystore())) {
                return new TreeMap<>();
            }
            CardKeyMaterial m = SoftwareCard.readKeystore(f.keystore(), f.password());
            try {
                return checkValues(m);
            } finally {
                m.destroy();
            }
        }
        Token t = (Token) card;
        Pkcs11Token token = Pkcs11Token.login(t.config(), t.pin());
        try {
            SortedMap<String, String> out = new TreeMap<>();
            token.keys().forEach((alias, k) -> out.put(alias, kcv(alias, k, token.provider())));
            return out;
        } finally {
            token.release();
        }
    }

    private static SortedMap<String, String> checkValues(CardKeyMaterial m) {
        SortedMap<String, String> out = new TreeMap<>();
        Provider jdk = Security.getProvider("SunJCE");
        out.put(CardKeyMaterial.TRANSPORT_ALIAS, rawKcv(CardKeyMaterial.TRANSPORT_ALIAS, CardKeyMaterial.AES, m.transport(), jdk));
        out.put(CardKeyMaterial.INTEGRITY_ALIAS, rawKcv(CardKeyMaterial.INTEGRITY_ALIAS, CardKeyMaterial.HMAC, m.integrity(), jdk));
        m.store().forEach((v, k) -> out.put(CardKeyMaterial.storeAlias(v),
                rawKcv(CardKeyMaterial.storeAlias(v), CardKeyMaterial.AES, k, jdk)));
        return out;
    }

    private static String rawKcv(String alias, String algorithm, byte[] raw, Provider p) {
        CardKey k = new CardKey(algorithm, raw.clone());
        try {
            return kcv(alias, k, p);
        } finally {
            k.destroy();
        }
    }

    private static String kcv(String alias, SecretKey k, Provider p) {
        try {
            byte[] v;
            if (alias.equals(CardKeyMaterial.INTEGRITY_ALIAS)) {
                Mac mac = Mac.getInstance("HmacSHA256", p);
                mac.init(k);
                v = mac.doFinal(KCV_LABEL);
            } else {
                Cipher c = Cipher.getInstance("AES/ECB/NoPadding", p);
                c.init(Cipher.ENCRYPT_MODE, k);
                v = c.doFinal(new byte[16]);
            }
            return HexFormat.of().formatHex(v, 0, 3);
        } catch (GeneralSecurityException e) {
            throw new CardException(CardException.Reason.IO, "cannot compute the check value of " + alias, e);
        }
    }

    private static void checkSubset(Card c, SortedMap<String, String> present, SortedMap<String, String> expected) {
        for (Map.Entry<String, String> e : present.entrySet()) {
            if (!e.getValue().equals(expected.get(e.getKey()))) {
                throw new CardException(CardException.Reason.INVALID_CARD, c + " already holds a different " + e.getKey()
                        + " than the master (another center's card?); nothing was changed");
            }
        }
    }

    private static void verifySame(Card c, SortedMap<String, String> expected) {
        if (!checkValues(c).equals(expected)) {
            throw new CardException(CardException.Reason.INVALID_CARD, c + " does not show the master's check values after import");
        }
    }

    /** Gives the card the master's keys it lacks. */
    private static void put(Card card, CardKeyMaterial m) {
        if (card instanceof SoftwareFile f) {
            // The whole store is rewritten under the card's own password: it holds only master keys.
            SoftwareCard.writeKeystore(f.keystore(), f.password(), m);
            return;
        }
        Token t = (Token) card;
        Pkcs11Token token = Pkcs11Token.login(t.config(), t.pin());
        try {
            importMissing(token, m);
        } finally {
            token.release();
        }
    }

    /** Imports into the token each of the material's keys it does not hold yet. */
    static void importMissing(Pkcs11Token token, CardKeyMaterial m) {
        Map<String, SecretKey> present = token.keys();
        if (!present.containsKey(CardKeyMaterial.TRANSPORT_ALIAS)) {
            token.importKey(CardKeyMaterial.TRANSPORT_ALIAS, CardKeyMaterial.AES, m.transport());
        }
        if (!present.containsKey(CardKeyMaterial.INTEGRITY_ALIAS)) {
            token.importKey(CardKeyMaterial.INTEGRITY_ALIAS, CardKeyMaterial.HMAC, m.integrity());
        }
        m.store().forEach((v, k) -> {
            if (!present.containsKey(CardKeyMaterial.storeAlias(v))) {
                token.importKey(CardKeyMaterial.storeAlias(v), CardKeyMaterial.AES, k);
            }
        });
    }

    // ---------------------------------------------------------------- command line

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    /** Runs one ceremony command; returns the exit status (0 done, 1 refused or failed, 2 usage). */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        Secrets secrets = new Secrets(env);
        try {
            Command cmd = Command.parse(args);
            switch (cmd.name) {
                case "create" -> {
                    SortedMap<String, String> kcv = create(cmd.master(), secrets.newSecret(cmd.masterSecret()));
                    out.println("created master keystore " + cmd.master());
                    printCheckValues(out, kcv);
                }
                case "distribute" -> {
                    List<Card> cards = cmd.cards(secrets);
                    distribute(cmd.master(), secrets.get(cmd.masterSecret()), cards);
                    for (Card c : cards) {
                        out.println(c + ": holds the master's keys");
                    }
                }
                case "rotate" -> {
                    int v = rotate(cmd.master(), secrets.get(cmd.masterSecret()), cmd.cards(secrets));
                    out.println("added storage key version " + v + " to the master and " + cmd.cards.size() + " card(s)");
                    out.println("next: restart nodes with the new version held but not active, then activate it, then rewrap");
                }
                case "export-transport" -> {
                    exportTransport(cmd.master(), secrets.get(cmd.masterSecret()), cmd.out(),
                            secrets.newSecret(cmd.outSecret()), cmd.iterations);
                    out.println("wrote K_trans for the factory station to " + cmd.out());
                }
                case "show" -> {
                    for (Card c : cmd.cards(secrets)) {
                        SortedMap<String, String> kcv = checkValues(c);
                        out.println(c + ":");
                        printCheckValues(out, kcv);
                    }
                }
                default -> throw new UsageException("unknown command '" + cmd.name + "'");
            }
            return 0;
        } catch (UsageException e) {
            err.println("key-ceremony: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (CardException e) {
            err.println("key-ceremony: " + e.getMessage());
            return 1;
        } finally {
            secrets.wipe();
        }
    }

    private static void printCheckValues(PrintStream out, SortedMap<String, String> kcv) {
        if (kcv.isEmpty()) {
            out.println("  (no MicroCert keys)");
        }
        kcv.forEach((alias, v) -> out.println("  " + alias + "  kcv " + v));
    }

    private static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /** Where one secret comes from: an environment variable, or the terminal when none was named. */
    private record SecretRef(String what, String envVar) {
    }

    /** A card named on the command line. */
    private record CardArg(boolean token, Path path, SecretRef secret) {
    }

    /** A parsed command line; secrets are only named here, read later. */
    private static final class Command {
        String name;
        Path master;
        SecretRef masterSecret;
        Path out;
        SecretRef outSecret;
        int iterations = FactoryTransportKey.DEFAULT_ITERATIONS;
        final List<CardArg> cards = new ArrayList<>();

        static Command parse(String[] args) {
            if (args.length == 0) {
                throw new UsageException("no command");
            }
            Command c = new Command();
            c.name = args[0];
            String lastKind = null;
            for (int i = 1; i < args.length; i++) {
                String opt = args[i];
                if (i + 1 >= args.length) {
                    throw new UsageException(opt + " needs a value");
                }
                String val = args[++i];
                switch (opt) {
                    case "--master" -> {
                        c.master = Path.of(val);
                        c.masterSecret = new SecretRef("the master keystore " + val, null);
                        lastKind = "master";
                    }
                    case "--out" -> {
                        c.out = Path.of(val);
                        c.outSecret = new SecretRef("the transport key export " + val, null);
                        lastKind = "out";
                    }
                    case "--software", "--pkcs11" -> {
                        boolean token = opt.equals("--pkcs11");
                        c.cards.add(new CardArg(token, Path.of(val),
                                new SecretRef((token ? "PKCS#11 card " : "software card ") + val, null)));
                        lastKind = opt;
                    }
                    case "--password-env", "--pin-env" -> {
                        if (lastKind == null) {
                            throw new UsageException(opt + " must follow the file or card it is for");
                        }
                        if (opt.equals("--pin-env") != "--pkcs11".equals(lastKind)) {
                            throw new UsageException("use --pin-env after --pkcs11 and --password-env after a file");
                        }
                        switch (lastKind) {
                            case "master" -> c.masterSecret = new SecretRef(c.masterSecret.what(), val);
                            case "out" -> c.outSecret = new SecretRef(c.outSecret.what(), val);
                            default -> {
                                CardArg a = c.cards.remove(c.cards.size() - 1);
                                c.cards.add(new CardArg(a.token(), a.path(), new SecretRef(a.secret().what(), val)));
                            }
                        }
                    }
                    case "--iterations" -> {
                        try {
                            c.iterations = Integer.parseInt(val);
                        } catch (NumberFormatException e) {
                            throw new UsageException("--iterations needs a number");
                        }
                    }
                    default -> throw new UsageException("unknown option " + opt);
                }
            }
            return c;
        }

        Path master() {
            if (master == null) {
                throw new UsageException(name + " needs --master FILE");
            }
            return master;
        }

        SecretRef masterSecret() {
            master();
            return masterSecret;
        }

        Path out() {
            if (out == null) {
                throw new UsageException(name + " needs --out FILE");
            }
            return out;
        }

        SecretRef outSecret() {
            out();
            return outSecret;
        }

        List<Card> cards(Secrets secrets) {
            if (cards.isEmpty()) {
                throw new UsageException(name + " needs at least one --software or --pkcs11 card");
            }
            List<Card> out = new ArrayList<>();
            for (CardArg c : cards) {
                out.add(c.token() ? new Token(Pkcs11Config.load(c.path()), secrets.get(c.secret()))
                        : new SoftwareFile(c.path(), secrets.get(c.secret())));
            }
            return out;
        }
    }

    /** Reads secrets from the environment or the terminal and wipes them all at the end. */
    private static final class Secrets {
        private final Map<String, String> env;
        private final List<char[]> issued = new ArrayList<>();

        Secrets(Map<String, String> env) {
            this.env = Objects.requireNonNull(env);
        }

        char[] get(SecretRef ref) {
            return read(ref, false);
        }

        /** A secret being set: asked twice on a terminal. */
        char[] newSecret(SecretRef ref) {
            return read(ref, true);
        }

        private char[] read(SecretRef ref, boolean confirm) {
            char[] s;
            if (ref.envVar() != null) {
                String v = env.get(ref.envVar());
                if (v == null || v.isEmpty()) {
                    throw new UsageException("environment variable " + ref.envVar() + " (secret for " + ref.what()
                            + ") is not set");
                }
                s = v.toCharArray();
            } else {
                Console console = System.console();
                if (console == null) {
                    throw new UsageException("no terminal to ask for the secret of " + ref.what()
                            + ": name an environment variable with --password-env or --pin-env");
                }
                s = console.readPassword("Secret for %s: ", ref.what());
                if (confirm) {
                    char[] again = console.readPassword("Again: ");
                    boolean same = Arrays.equals(s, again);
                    Arrays.fill(again, '\0');
                    if (!same) {
                        Arrays.fill(s, '\0');
                        throw new UsageException("the two entries differ");
                    }
                }
            }
            issued.add(s);
            return s;
        }

        void wipe() {
            issued.forEach(s -> Arrays.fill(s, '\0'));
        }
    }
}
