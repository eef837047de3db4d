package org.microcert.cluster.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Takes backups (the port {@code POST /v1/backup} is served from). */
public interface BackupService {

    /**
     * Writes a complete backup file (the persistence module's format) and completes with it, or
     * fails with a {@link BackupRefused} saying why none was written.
     */
    CompletionStage<Backup> take();

    /**
     * A finished backup file, alone in a private temporary directory, to stream; {@link #delete()}
     * removes both once it was sent (or the send failed).
     */
    record Backup(Path file, long size, String filename) {
        private static final Logger LOG = LoggerFactory.getLogger(Backup.class);

        public void delete() {
            try {
                Files.deleteIfExists(file);
                Files.deleteIfExists(file.getParent()); // the backup's private temporary directory
            } catch (IOException e) {
                LOG.warn("could not delete the streamed backup file {}: {}", file, e.getMessage());
            }
        }
    }
}
