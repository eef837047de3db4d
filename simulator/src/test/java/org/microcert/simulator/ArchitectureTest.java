package org.microcert.simulator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The simulator's package structure (docs/architecture.md): dependencies point down, and no two
 * packages lean on each other. From the top:
 * <ol>
 *   <li>{@code org.microcert.simulator} ({@code SimulatorMain}, the entry point scripts launch)</li>
 *   <li>{@code cli}: the commands, their options and checks; the only place that knows picocli</li>
 *   <li>{@code bench}: the benchmark's sweeps, each step a short run</li>
 *   <li>{@code run}: a timed run (the traffic it sends, the fleet wake, the report it assembles)</li>
 *   <li>{@code load}, {@code fleet}: the open-loop driver and its measurements; provisioning</li>
 *   <li>{@code gateway}, {@code report}: the HTTP client of the gateways; the report and its formats</li>
 *   <li>{@code traffic}: the model (kinds, mix, verdicts, devices, fleet)</li>
 * </ol>
 * Test classes are left out: a test may reach across layers to set up what it checks.
 */
@AnalyzeClasses(packages = "org.microcert.simulator", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final ArchRule NO_PACKAGE_CYCLES = slices().matching("org.microcert.simulator.(*)..").should().beFreeOfCycles();

    private static final ArchRule LAYERS_POINT_DOWN = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("Main").definedBy("org.microcert.simulator")
            .layer("Cli").definedBy("org.microcert.simulator.cli..")
            .layer("Bench").definedBy("org.microcert.simulator.bench..")
            .layer("Run").definedBy("org.microcert.simulator.run..")
            .layer("Engine").definedBy("org.microcert.simulator.load..", "org.microcert.simulator.fleet..")
            .layer("Io").definedBy("org.microcert.simulator.gateway..", "org.microcert.simulator.report..")
            .layer("Model").definedBy("org.microcert.simulator.traffic..")
            .whereLayer("Main").mayNotBeAccessedByAnyLayer()
            .whereLayer("Cli").mayOnlyBeAccessedByLayers("Main")
            .whereLayer("Bench").mayOnlyBeAccessedByLayers("Cli")
            .whereLayer("Run").mayOnlyBeAccessedByLayers("Cli", "Bench")
            .whereLayer("Engine").mayOnlyBeAccessedByLayers("Cli", "Bench", "Run")
            .whereLayer("Io").mayOnlyBeAccessedByLayers("Cli", "Bench", "Run", "Engine")
            .whereLayer("Model").mayOnlyBeAccessedByLayers("Cli", "Bench", "Run", "Engine", "Io");

    /** picocli is the command line's business: below cli, code is driven by values, not by options. */
    private static final ArchRule ONLY_THE_COMMAND_LINE_KNOWS_PICOCLI = noClasses().that().resideOutsideOfPackages("org.microcert.simulator", "org.microcert.simulator.cli..")
            .should().dependOnClassesThat().resideInAPackage("picocli..");

    // Methods, not @ArchTest fields: Surefire 3.5.3 and later silently skip fields (TNG/ArchUnit#1442).
    @ArchTest
    void noPackageCycles(JavaClasses classes) {
        NO_PACKAGE_CYCLES.check(classes);
    }

    @ArchTest
    void layersPointDown(JavaClasses classes) {
        LAYERS_POINT_DOWN.check(classes);
    }

    @ArchTest
    void onlyTheCommandLineKnowsPicocli(JavaClasses classes) {
        ONLY_THE_COMMAND_LINE_KNOWS_PICOCLI.check(classes);
    }
}
