package org.microcert.simulator.cli;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Checks of options that run and bench make before anything is sent: each failure is a usage
 * error (exit 2) naming the option. Output places are tried for real (a probe file written and
 * deleted), so that results are never lost at the end of a run for want of a writable place.
 */
final class OptionChecks {

    private OptionChecks() {}

    static void require(CommandSpec spec, boolean ok, String error) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), error);
        }
    }

    /**
     * Creates {@code dir} and writes and deletes a uniquely named probe file in it. The directories
     * are left in place, even those this check made: two simulators started in the same second on a
     * fresh tree check the same default directory, and one removing it (or a new parent) between the
     * other's creating it and writing its probe made the other fail with a false usage error.
     * {@link Files#createDirectories} accepts a directory another process has just made.
     */
    static void writableDirectory(CommandSpec spec, Path dir, String option) {
        Path abs = dir.toAbsolutePath();
        try {
            Files.createDirectories(abs);
            Files.delete(Files.createTempFile(abs, ".write-probe-", ".tmp"));
        } catch (IOException | SecurityException e) {
            throw new ParameterException(spec.commandLine(), option + " " + dir + ": cannot write there (" + reason(e) + ")");
        }
    }

    /** {@code file} can be written: its directory is writable and it is not a directory or read-only. */
    static void writableFile(CommandSpec spec, Path file, String option) {
        require(spec, !Files.isDirectory(file), option + " " + file + " is a directory; name a file");
        writableDirectory(spec, file.toAbsolutePath().getParent(), option);
        require(spec, !Files.exists(file) || Files.isWritable(file), option + " " + file + ": cannot write there (read-only)");
    }

    /** The whole text of {@code file}, read now. */
    static String readText(CommandSpec spec, Path file, String option) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | SecurityException e) {
            throw new ParameterException(spec.commandLine(), option + " " + file + ": cannot read it (" + reason(e) + ")");
        }
    }

    /** A short reason: the JDK's messages of these exceptions are often only the path again. */
    private static String reason(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "a file is in the way";
        }
        if (e instanceof CharacterCodingException) {
            return "not UTF-8 text";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
