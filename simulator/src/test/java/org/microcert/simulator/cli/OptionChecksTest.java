package org.microcert.simulator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

class OptionChecksTest {

    private static final CommandSpec SPEC = new CommandLine(CommandSpec.create()).getCommandSpec();

    @TempDir
    Path dir;

    /**
     * Two simulators started in the same second on a fresh tree check the same default report
     * directory (var/sim-reports/<time>), or two siblings of one new parent: neither may find the
     * other's check in its way.
     */
    @Test
    void concurrentChecksOfOneFreshTreeNeverFailEachOther() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 300; i++) {
                Path parent = dir.resolve("run-" + i).resolve("var").resolve("sim-reports");
                // even rounds: the same directory; odd rounds: two siblings under one new parent
                List<Path> targets = i % 2 == 0 ? List.of(parent.resolve("t"), parent.resolve("t"))
                        : List.of(parent.resolve("a"), parent.resolve("b"));
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<?>> checks = new ArrayList<>();
                for (Path target : targets) {
                    checks.add(pool.submit(() -> {
                        start.await();
                        OptionChecks.writableDirectory(SPEC, target, "--report-dir");
                        return null;
                    }));
                }
                for (Future<?> check : checks) {
                    check.get(); // a false usage error surfaces here as an ExecutionException
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** The directories stay (removing them is what raced); the probe file does not. */
    @Test
    void theCheckLeavesTheDirectoryButNoProbeFile() throws Exception {
        Path target = dir.resolve("a").resolve("b");
        OptionChecks.writableDirectory(SPEC, target, "--report-dir");
        assertTrue(Files.isDirectory(target));
        try (var left = Files.list(target)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void aFileInTheWayIsAUsageErrorNamingTheOption() throws Exception {
        Path file = Files.writeString(dir.resolve("in-the-way"), "x");
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> OptionChecks.writableDirectory(SPEC, file.resolve("sub"), "--report-dir"));
        assertTrue(e.getMessage().startsWith("--report-dir " + file.resolve("sub") + ": cannot write there ("), e.getMessage());
    }
}
