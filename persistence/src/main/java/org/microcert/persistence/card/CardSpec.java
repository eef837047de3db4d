package org.microcert.persistence.card;

import java.nio.file.Path;
import java.util.Objects;
import org.microcert.protocol.Secret;

/**
 * Which card to open, as the node's configuration ({@code microcert.card}) and the tools' flags
 * ({@code --card-keystore}, {@code --pkcs11}) both name it: a software card's keystore or a PKCS#11
 * card's properties file, the card's state file, and the K_store version it seals under. Opened
 * with a {@link Secret} (password or PIN) that the caller reads and wipes.
 *
 * @param file       the BCFKS keystore, or the PKCS#11 properties ({@link Pkcs11Config#load})
 * @param pkcs11     whether {@code file} names a PKCS#11 card
 * @param stateFile  the card's set-digest state file
 * @param keyVersion the K_store version new seals use, or 0 for the highest the card holds
 */
public record CardSpec(Path file, boolean pkcs11, Path stateFile, int keyVersion) {

    public CardSpec {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(stateFile, "stateFile");
        if (keyVersion < 0) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT,
                    "the sealing key version must be 0 (the highest held) or a version number, not " + keyVersion);
        }
    }

    /** A software card; {@code stateFile} null: {@code <keystore>.state}. */
    public static CardSpec software(Path keystore, Path stateFile, int keyVersion) {
        return new CardSpec(keystore, false, stateFile != null ? stateFile : Path.of(keystore + ".state"), keyVersion);
    }

    /** A PKCS#11 card; {@code stateFile} null: {@code <config>.state}. */
    public static CardSpec pkcs11(Path config, Path stateFile, int keyVersion) {
        return new CardSpec(config, true, stateFile != null ? stateFile : Path.of(config + ".state"), keyVersion);
    }

    /** For messages: "the card FILE" or "the PKCS#11 card FILE". */
    public String describe() {
        return (pkcs11 ? "the PKCS#11 card " : "the card ") + file;
    }

    /** What the secret of this card is called: "password" or "PIN". */
    public String secretName() {
        return pkcs11 ? "PIN" : "password";
    }

    /**
     * Opens the card; {@code secret} stays the caller's to wipe.
     *
     * @throws CardException as {@link SoftwareCard#open} and {@link Pkcs11Card#open}; messages never hold the secret
     */
    public EncryptionCard open(Secret secret) {
        return secret.withChars(chars -> pkcs11 ? Pkcs11Card.open(Pkcs11Config.load(file), chars, stateFile, keyVersion)
                : SoftwareCard.open(file, chars, stateFile, keyVersion));
    }
}
