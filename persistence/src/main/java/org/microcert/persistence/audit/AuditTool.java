package org.microcert.persistence.audit;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.SerializationExtension;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.cassandra.CassandraAccess;
import org.microcert.persistence.cassandra.CassandraAccessException;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.persistence.schema.SchemaException;
import org.microcert.persistence.schema.ToolOptions;

/**
 * {@code ops/bin/audit}: the tamper audit over the journal (see {@link JournalAudit}). Exit 0 when
 * clean, 3 when something was found, 4 when only records not confirmed to the cards were found, 1 when the audit could not run, 2 on a usage error.
 */
public final class AuditTool {

    static final String USAGE = """
            usage: ops/bin/audit [--contact-point HOST:PORT] [--datacenter DC] [--journal-keyspace K] [--snapshot-keyspace K]
                                 (--card-keystore FILE --card-password-env VAR | --pkcs11 CONFIG --pin-env VAR [--key-version N])
                                 --card-state FILE [--state-files NODE1.state,NODE2.state,...]
            Recomputes the cards' set digest from the journal and reports records altered, removed, added
            or rolled back, plus journal problems. Exit 0 clean, 3 findings, 4 only unconfirmed records
            (no tampering), 1 failed, 2 usage or Cassandra refused the credentials or TLS settings.
            CASSANDRA ACCESS:
            """ + CassandraAccess.USAGE;

    static final int FINDINGS = 3;
    /** Only records the cards were not told about (a crash window), no tampering. */
    static final int UNCONFIRMED = 4;

    private AuditTool() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System::getenv));
    }

    public static int run(String[] args, Function<String, String> environment) {
        if (ToolOptions.wantsHelp(args)) {
            System.out.println(USAGE);
            return 0;
        }
        Map<String, String> options;
        CassandraTarget target;
        try {
            Set<String> known = new HashSet<>(CassandraTarget.OPTIONS);
            known.addAll(CardOptions.OPTIONS);
            options = ToolOptions.parse(args, known, CassandraTarget.FLAGS);
            target = CassandraTarget.fromOptions(options, environment);
        } catch (IllegalArgumentException | SchemaException e) {
            System.err.println("audit: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        ActorSystem system = null;
        // the card first: a wrong PIN or password fails fast, before any connection to the cluster
        try (EncryptionCard card = CardOptions.open(options, environment)) {
            system = ActorSystem.create("audit", target.pekkoConfig(""));
            return audit(card, options, target, system);
        } catch (IllegalArgumentException | CassandraAccessException e) { // one line, the usage would bury it
            System.err.println("audit: " + e.getMessage());
            return 2;
        } catch (CardException | DriverException e) {
            System.err.println("audit: " + e.getMessage());
            return 1;
        } finally {
            if (system != null) {
                system.terminate();
            }
        }
    }

    private static int audit(EncryptionCard card, Map<String, String> options, CassandraTarget target, ActorSystem system) {
        try (CqlSession session = target.openSession()) {
            JournalScan.Result scan = JournalScan.scan(session, SerializationExtension.get(system),
                    target.journalKeyspace(), target.snapshotKeyspace());
            JournalAudit.Report report = JournalAudit.audit(card, CardOptions.expectedDigest(card, options),
                    CardOptions.expectedReferences(card, options), scan);
            report.lines().forEach(System.out::println);
            return report.clean() ? 0 : report.tampered() ? FINDINGS : UNCONFIRMED;
        }
    }
}
