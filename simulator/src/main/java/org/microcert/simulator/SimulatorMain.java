package org.microcert.simulator;

import org.microcert.simulator.cli.BenchCommand;
import org.microcert.simulator.cli.ExitCodes;
import org.microcert.simulator.cli.FloodCommand;
import org.microcert.simulator.cli.HelloWorldServer;
import org.microcert.simulator.cli.LabCommand;
import org.microcert.simulator.cli.RunCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code microcert-sim}: the MicroCert load simulator and benchmark tools. Subcommands:
 * {@code run} (provision virtual sensors, drive open-loop traffic, report), {@code bench} (the
 * comparison set run by ops/bin/bench), {@code bench-flood} (good traffic under a flood, run by
 * ops/bin/bench-flood) and {@code hello-server} (the benchmark's Pekko HTTP baseline).
 */
@Command(name = "microcert-sim", mixinStandardHelpOptions = true, version = "microcert-sim 0.1.0",
        subcommands = {RunCommand.class, BenchCommand.class, FloodCommand.class, HelloWorldServer.class, LabCommand.class,
            CommandLine.HelpCommand.class},
        description = {"Virtual sensors for MicroCert: load tests and proofs that every good certificate is accepted and "
                + "every bad one rejected. Start with: microcert-sim run --help"})
public final class SimulatorMain {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The CLI with its error handling: a one-line message for users, never a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new SimulatorMain());
        cli.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("error: " + ex.getMessage());
            cmd.getErr().println("see: " + cmd.getCommandSpec().qualifiedName() + " --help");
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + userMessage(ex));
            return ExitCodes.SETUP;
        });
        return cli;
    }

    /**
     * An unexpected exception's message, with anything from "Bearer" on cut: the JDK quotes a
     * refused header value, and the operator token must never be printed (the token is checked
     * when read, so this is the second line of defence).
     */
    static String userMessage(Throwable ex) {
        String m = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        return m.replaceAll("(?is)bearer\\s.*", "Bearer <withheld>");
    }
}
