package org.microcert.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link ChipStore} in two files of one directory ({@code seed}, owner-only, and {@code state}), for
 * gateways and simulators that run the reference chip on a host. Each save writes a temporary file,
 * forces it to disk and renames it over the old one, then forces the directory: a crash leaves the old
 * blob or the new one, never a torn one. A firmware port does the same with its flash pages (two slots
 * and a sequence number, or the platform's atomic record store).
 */
public final class FileChipStore implements ChipStore {

    static final String SEED = "seed";
    static final String STATE = "state";

    private final Path directory;

    public FileChipStore(Path directory) {
        this.directory = Objects.requireNonNull(directory, "directory");
    }

    /** What the directory holds, if a chip ever saved both blobs there. Wipe {@link Kept#seed()} after use. */
    public Optional<Kept> load() throws IOException {
        try {
            return Optional.of(new Kept(Files.readAllBytes(directory.resolve(SEED)),
                    Files.readAllBytes(directory.resolve(STATE))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** The two blobs as stored. */
    public record Kept(byte[] seed, byte[] state) {
        @Override
        public String toString() {
            return "Kept[seed redacted, state=" + state.length + " bytes]";
        }
    }

    @Override
    public void saveState(byte[] state) {
        write(STATE, state, false);
    }

    @Override
    public void saveSeed(byte[] seed) {
        write(SEED, seed, true);
    }

    private void write(String name, byte[] data, boolean secret) {
        Path target = directory.resolve(name);
        Path temporary = directory.resolve(name + ".new");
        try {
            Files.createDirectories(directory);
            Files.deleteIfExists(temporary);
            if (secret && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            try (FileChannel out = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING))) {
                ByteBuffer buffer = ByteBuffer.wrap(data);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system cannot replace " + target + " atomically", e);
            }
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
                dir.force(true); // the rename itself is durable only once the directory is
            } catch (IOException ignored) {
                // some platforms cannot open a directory for forcing; the rename stays atomic there
            }
        } catch (IOException e) {
            throw new ChipStorageException("cannot keep the chip's " + name + " in " + directory + ": "
                    + e.getClass().getSimpleName(), e);
        }
    }

    @Override
    public String toString() {
        return "FileChipStore[" + directory + "]";
    }
}
