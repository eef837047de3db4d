package org.microcert.persistence.card;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.microcert.protocol.Secret;
import org.microcert.protocol.TransportKeyExport;

/**
 * K_trans wrapped for the factory station that loads it into sensor chips: a password-protected
 * file made by the key ceremony ({@code key-ceremony export-transport}). The format and its only
 * reader are the protocol module's {@link TransportKeyExport}, which the station (the simulator)
 * uses too; this class does the file I/O and maps refusals to {@link CardException}s.
 */
public final class FactoryTransportKey {

    public static final int MIN_ITERATIONS = TransportKeyExport.MIN_ITERATIONS;
    public static final int DEFAULT_ITERATIONS = TransportKeyExport.DEFAULT_ITERATIONS;
    static final int FILE_BYTES = TransportKeyExport.FILE_BYTES;

    private FactoryTransportKey() {
    }

    /**
     * Reads K_trans from an export file. The caller wipes the returned array once the key is loaded.
     *
     * @throws CardException {@code NOT_FOUND} (no file), {@code INVALID_ARGUMENT} (not an export
     *         file), {@code WRONG_SECRET} (wrong password, or the file was altered)
     */
    public static byte[] load(Path file, char[] password) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CardException(CardException.Reason.NOT_FOUND, "no transport key file at " + file);
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot read transport key file " + file, e);
        }
        try (Secret secret = Secret.ofChars(password)) {
            return TransportKeyExport.open(all, secret);
        } catch (TransportKeyExport.RefusedException e) {
            throw new CardException(e.reason() == TransportKeyExport.RefusedException.Reason.WRONG_PASSWORD
                    ? CardException.Reason.WRONG_SECRET : CardException.Reason.INVALID_ARGUMENT,
                    "transport key file " + file + " " + e.getMessage());
        }
    }

    /** Writes an export file; refuses to replace an existing file. */
    static void write(Path file, byte[] transportKey, char[] password, int iterations, SecureRandom random) {
        byte[] export;
        try (Secret secret = Secret.ofChars(password)) {
            export = TransportKeyExport.seal(transportKey, secret, iterations, random);
        } catch (IllegalArgumentException e) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, e.getMessage());
        }
        try {
            Files.write(file, export, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (FileAlreadyExistsException e) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, file + " already exists; not replacing it");
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot write transport key file " + file, e);
        }
    }
}
