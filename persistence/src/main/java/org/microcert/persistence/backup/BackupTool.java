package org.microcert.persistence.backup;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.microcert.persistence.audit.CardOptions;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.cassandra.CassandraAccess;
import org.microcert.persistence.cassandra.CassandraAccessException;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.persistence.schema.SchemaException;
import org.microcert.persistence.schema.ToolOptions;
import org.microcert.protocol.Failures;

/**
 * {@code ops/bin/backup --file F ...} and {@code ops/bin/restore --file F ...}: see {@link Backups}.
 * Exit 0 done, 1 refused or failed (the message says why), 2 usage error.
 */
public final class BackupTool {

    static final String USAGE = """
            usage: ops/bin/backup  --file FILE [CASSANDRA] CARD
                   ops/bin/restore --file FILE [CASSANDRA] CARD [--snapshot-every N (at least 1, default 100)]
            CASSANDRA: [--contact-point HOST:PORT] [--datacenter DC] [--journal-keyspace K] [--snapshot-keyspace K] [ACCESS]
            CARD: (--card-keystore FILE --card-password-env VAR | --pkcs11 CONFIG --pin-env VAR [--key-version N])
                  --card-state FILE [--state-files NODE1.state,...]
            backup refuses a journal that fails the audit; restore refuses a non-empty keyspace and any
            file that does not verify completely, before writing anything. Exit 2 also when Cassandra
            refused the credentials or TLS settings.
            ACCESS:
            """ + CassandraAccess.USAGE;

    private BackupTool() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System::getenv));
    }

    /** {@link #main} without the exit: the exit status; secrets are read through {@code environment}. */
    public static int run(String[] args, Function<String, String> environment) {
        if (ToolOptions.wantsHelp(args)) {
            System.out.println(USAGE);
            return 0;
        }
        if (args.length == 0 || !(args[0].equals("backup") || args[0].equals("restore"))) {
            System.err.println(USAGE);
            return 2;
        }
        boolean backup = args[0].equals("backup");
        String name = args[0];
        Map<String, String> options;
        CassandraTarget target;
        int snapshotEvery;
        try {
            Set<String> known = new HashSet<>(CassandraTarget.OPTIONS);
            known.addAll(CardOptions.OPTIONS);
            known.add("--file");
            known.add("--snapshot-every");
            options = ToolOptions.parse(Arrays.copyOfRange(args, 1, args.length), known, CassandraTarget.FLAGS);
            target = CassandraTarget.fromOptions(options, environment);
            if (!options.containsKey("--file")) {
                throw new IllegalArgumentException("missing --file");
            }
            snapshotEvery = snapshotEvery(options);
        } catch (IllegalArgumentException | SchemaException e) {
            System.err.println(name + ": " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        Path file = Path.of(options.get("--file"));
        ActorSystem<Void> system = null;
        // the card first: a wrong PIN or password fails fast, before any connection to the cluster
        try (EncryptionCard card = CardOptions.open(options, environment)) {
            system = ActorSystem.create(Behaviors.empty(), name, target.pekkoConfig(""));
            runWithCard(backup, card, options, target, system, file, snapshotEvery);
            return 0;
        } catch (IllegalArgumentException | CassandraAccessException e) { // one line, the usage would bury it
            System.err.println(name + ": " + e.getMessage());
            return 2;
        } catch (BackupException | CardException | DriverException e) {
            System.err.println(name + ": " + e.getMessage());
            return 1;
        } catch (CompletionException e) { // a future's failure: its cause's message, never the stack trace
            Throwable cause = Failures.cause(e);
            System.err.println(name + ": " + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()));
            return 1;
        } finally {
            if (system != null) {
                system.terminate();
            }
        }
    }

    /** Checked here, before the card or Cassandra is touched: a bad value must change nothing. */
    private static int snapshotEvery(Map<String, String> options) {
        String text = options.getOrDefault("--snapshot-every", "100");
        int n;
        try {
            n = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1) {
            throw new IllegalArgumentException("--snapshot-every needs a whole number of at least 1, got '" + text + "'");
        }
        return n;
    }

    private static void runWithCard(boolean backup, EncryptionCard card, Map<String, String> options, CassandraTarget target,
                                    ActorSystem<Void> system, Path file, int snapshotEvery) {
        try (CqlSession session = target.openSession()) {
            if (backup) {
                BackupFile.Summary s = Backups.backup(session, system, target, card, CardOptions.expectedDigest(card, options),
                        CardOptions.expectedReferences(card, options), file);
                System.out.printf("backup written: %s, %d sensors, set digest %s%n", file, s.records(), s.setDigest());
            } else {
                Backups.Restored r = Backups.restore(session, system, target, card, file, snapshotEvery);
                System.out.printf("restored %d sensors from %s; card set digest set to %s%n", r.records(), file, r.setDigest());
            }
        }
    }
}
