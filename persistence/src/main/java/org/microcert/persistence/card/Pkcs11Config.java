package org.microcert.persistence.card;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;

/**
 * Where a PKCS#11 card is: the module library and the token's slot, either by slot id
 * ({@code slot}) or by position in the slot list ({@code slotListIndex}, when {@code slot} is
 * negative). Read from a properties file:
 * <pre>
 * library = /usr/lib/softhsm/libsofthsm2.so
 * slot = 1679837078          # or: slot-list-index = 0
 * </pre>
 * For SoftHSM2 the environment variable {@code SOFTHSM2_CONF} must name its configuration before
 * the JVM starts.
 */
public record Pkcs11Config(Path library, long slot, int slotListIndex) {

    /** Debian's SoftHSM2 module. */
    public static final Path SOFTHSM2_LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");

    public Pkcs11Config {
        Objects.requireNonNull(library, "library");
        if (slot < 0 && slotListIndex < 0) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, "a PKCS#11 card needs a slot or a slot list index");
        }
    }

    /** A token by slot id. */
    public static Pkcs11Config slot(Path library, long slot) {
        return new Pkcs11Config(library, slot, -1);
    }

    /**
     * Reads a card configuration file.
     *
     * @throws CardException {@code NOT_FOUND} or {@code INVALID_ARGUMENT} naming the bad entry
     */
    public static Pkcs11Config load(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            throw new CardException(CardException.Reason.NOT_FOUND, "no PKCS#11 card configuration at " + file);
        } catch (IOException | IllegalArgumentException e) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, "cannot read PKCS#11 card configuration " + file);
        }
        String library = p.getProperty("library", SOFTHSM2_LIBRARY.toString()).trim();
        try {
            String slot = p.getProperty("slot");
            String index = p.getProperty("slot-list-index");
            if ((slot == null) == (index == null)) {
                throw new CardException(CardException.Reason.INVALID_ARGUMENT,
                        file + " must set exactly one of 'slot' and 'slot-list-index'");
            }
            return slot != null ? new Pkcs11Config(Path.of(library), Long.parseLong(slot.trim()), -1)
                    : new Pkcs11Config(Path.of(library), -1, Integer.parseInt(index.trim()));
        } catch (NumberFormatException e) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, file + ": slot must be a number");
        }
    }

    /** The SunPKCS11 configuration: sensitive, non-extractable secret keys whether generated or imported. */
    String sunPkcs11Config() {
        return "--name=" + name() + "\nlibrary=" + library + "\n"
                + (slot >= 0 ? "slot=" + slot : "slotListIndex=" + slotListIndex) + "\n"
                + "attributes(generate, CKO_SECRET_KEY, *) = {\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n}\n"
                + "attributes(import, CKO_SECRET_KEY, *) = {\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n}\n";
    }

    /** A short name for messages and the provider. */
    String name() {
        return "microcert-" + (slot >= 0 ? "slot-" + slot : "index-" + slotListIndex);
    }
}
