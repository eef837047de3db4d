package org.microcert.persistence.card;

import java.io.Console;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import org.microcert.persistence.card.KeyCeremony.Card;
import org.microcert.persistence.card.KeyCeremony.SoftwareFile;
import org.microcert.persistence.card.KeyCeremony.Token;
import org.microcert.protocol.Secret;

/**
 * The key ceremony's command line ({@code ops/bin/key-ceremony}): parses a command, reads its
 * secrets from the environment or the terminal, runs the {@link KeyCeremony} step and wipes the
 * secrets. Exit status: 0 done, 1 refused or failed, 2 usage.
 */
final class KeyCeremonyCli {

    static final String USAGE = """
            usage: key-ceremony COMMAND OPTIONS
              create           --master FILE                       new master keystore: K_trans, K_store v1, integrity key
              distribute       --master FILE CARD...               put the master's keys on each card (adds what a card lacks)
              rotate           --master FILE CARD...               add a new K_store version to the master and every card
              export-transport --master FILE --out FILE [--iterations N]
                                                                   K_trans wrapped under a password, for the factory station
              show             CARD...                             key versions and check values of each card
            CARD is --software KEYSTORE or --pkcs11 CONFIG (library=..., slot=... or slot-list-index=...).
            Token master: '--master-pkcs11 CONFIG' instead of '--master FILE' generates the keys inside the token
            (non-extractable): 'create' then needs '--out FILE' (K_trans for the factory, written once), 'rotate'
            takes no card, and the keys cannot be distributed (replicate the token with its vendor's tools).
            Secrets: '--password-env VAR' (files) or '--pin-env VAR' (tokens) right after a file or card names
            the environment variable holding its password or PIN; without it the ceremony asks on the terminal.
            """;

    private KeyCeremonyCli() {
    }

    static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    /** Runs one ceremony command; returns the exit status (0 done, 1 refused or failed, 2 usage). */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help"))) {
            out.print(USAGE);
            return 0;
        }
        Secrets secrets = new Secrets(env);
        try {
            Command cmd = Command.parse(args);
            if (cmd.masterToken != null) {
                return runOnToken(cmd, secrets, out);
            }
            switch (cmd.name) {
                case "create" -> {
                    SortedMap<String, String> kcv = KeyCeremony.create(cmd.master(), secrets.newSecret(cmd.masterSecret()));
                    out.println("created master keystore " + cmd.master());
                    printCheckValues(out, kcv);
                }
                case "distribute" -> {
                    List<Card> cards = cmd.cards(secrets);
                    KeyCeremony.distribute(cmd.master(), secrets.get(cmd.masterSecret()), cards);
                    for (Card c : cards) {
                        out.println(c + ": holds the master's keys");
                    }
                }
                case "rotate" -> {
                    int v = KeyCeremony.rotate(cmd.master(), secrets.get(cmd.masterSecret()), cmd.cards(secrets));
                    out.println("added storage key version " + v + " to the master and " + cmd.cards.size() + " card(s)");
                    out.println("next: restart the nodes one by one with --card-key-version " + (v - 1) + " (v" + v
                            + " held, not sealing), then one by one without it, then POST /v1/rewrap");
                }
                case "export-transport" -> {
                    KeyCeremony.exportTransport(cmd.master(), secrets.get(cmd.masterSecret()), cmd.out(),
                            secrets.newSecret(cmd.outSecret()), cmd.iterations);
                    out.println("wrote K_trans for the factory station to " + cmd.out());
                }
                case "show" -> {
                    for (Card c : cmd.cards(secrets)) {
                        SortedMap<String, String> kcv = KeyCeremony.checkValues(c);
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

    /** A command whose master is a PKCS#11 token (--master-pkcs11). */
    private static int runOnToken(Command cmd, Secrets secrets, PrintStream out) {
        if (cmd.master != null) {
            throw new UsageException("use either --master or --master-pkcs11");
        }
        Token master = new Token(Pkcs11Config.load(cmd.masterToken), secrets.get(cmd.masterSecret));
        switch (cmd.name) {
            case "create" -> {
                SortedMap<String, String> kcv = KeyCeremony.createOnToken(master, cmd.out(),
                        secrets.newSecret(cmd.outSecret()), cmd.iterations);
                out.println("created the center's keys inside " + master + " (non-extractable)");
                out.println("wrote K_trans for the factory station to " + cmd.out() + " (the only copy outside the token)");
                printCheckValues(out, kcv);
            }
            case "rotate" -> {
                if (!cmd.cards.isEmpty()) {
                    throw KeyCeremony.refuseTokenMasterDistribution(master);
                }
                int v = KeyCeremony.rotateOnToken(master);
                out.println("generated storage key version " + v + " inside " + master);
            }
            case "distribute", "export-transport" -> throw KeyCeremony.refuseTokenMasterDistribution(master);
            default -> throw new UsageException(cmd.name + " does not take --master-pkcs11");
        }
        return 0;
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
        Path masterToken;
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
                    case "--master-pkcs11" -> {
                        c.masterToken = Path.of(val);
                        c.masterSecret = new SecretRef("the PKCS#11 master " + val, null);
                        lastKind = "--pkcs11-master";
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
                        if (opt.equals("--pin-env") != ("--pkcs11".equals(lastKind) || "--pkcs11-master".equals(lastKind))) {
                            throw new UsageException("use --pin-env after --pkcs11 and --password-env after a file");
                        }
                        switch (lastKind) {
                            case "master", "--pkcs11-master" -> c.masterSecret = new SecretRef(c.masterSecret.what(), val);
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

    /**
     * Reads secrets ({@link Secret}) from the environment or the terminal and wipes them all at the
     * end. The ceremony's API takes {@code char[]}: the copies handed out are wiped too.
     */
    private static final class Secrets {
        private final Map<String, String> env;
        private final List<Secret> read = new ArrayList<>();
        private final List<char[]> issued = new ArrayList<>();

        Secrets(Map<String, String> env) {
            this.env = Objects.requireNonNull(env);
        }

        char[] get(SecretRef ref) {
            return issue(read(ref, false));
        }

        /** A secret being set: asked twice on a terminal. */
        char[] newSecret(SecretRef ref) {
            return issue(read(ref, true));
        }

        private char[] issue(Secret s) {
            read.add(s);
            char[] chars = s.chars();
            issued.add(chars);
            return chars;
        }

        private Secret read(SecretRef ref, boolean confirm) {
            if (ref.envVar() != null) {
                return Secret.fromEnvironment(env::get, ref.envVar()).orElseThrow(() -> new UsageException(
                        "environment variable " + ref.envVar() + " (secret for " + ref.what() + ") is not set"));
            }
            Console console = System.console();
            if (console == null) {
                throw new UsageException("no terminal to ask for the secret of " + ref.what()
                        + ": name an environment variable with --password-env or --pin-env");
            }
            char[] typed = console.readPassword("Secret for %s: ", ref.what());
            char[] again = confirm ? console.readPassword("Again: ") : typed;
            try {
                if (!Arrays.equals(typed, again)) {
                    throw new UsageException("the two entries differ");
                }
                return Secret.ofChars(typed);
            } finally {
                Arrays.fill(typed, '\0');
                Arrays.fill(again, '\0');
            }
        }

        void wipe() {
            issued.forEach(s -> Arrays.fill(s, '\0'));
            read.forEach(Secret::close);
        }
    }
}
