package org.microcert.cluster;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cluster module's package rules (docs/architecture.md): no cycles between its packages, and the
 * layering http -> application -> (sensor, replay, trail, backup, card), with node as the composition
 * root above everything. The shared leaves (metrics, json, the root's ClusterSerializable) may be used
 * by any layer.
 */
class ArchitectureTest {

    private static final String ROOT = "org.microcert.cluster";
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(ROOT);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void nothingBelowTheGatewayUsesIt() {
        noClasses().that().resideInAPackage(ROOT + "..")
                .and().resideOutsideOfPackages(ROOT + ".http..", ROOT + ".node..")
                .and().doNotHaveFullyQualifiedName(MicroCertNode.class.getName())
                .should().dependOnClassesThat().resideInAPackage(ROOT + ".http..")
                .check(classes);
    }

    @Test
    void onlyTheEntryPointUsesTheCompositionRoot() {
        noClasses().that().resideInAPackage(ROOT + "..")
                .and().resideOutsideOfPackage(ROOT + ".node..")
                .and().doNotHaveFullyQualifiedName(MicroCertNode.class.getName())
                .should().dependOnClassesThat().resideInAPackage(ROOT + ".node..")
                .check(classes);
    }

    @Test
    void onlyTheGatewayAndTheCompositionRootUseTheApplicationLayer() {
        noClasses().that().resideInAPackage(ROOT + "..")
                .and().resideOutsideOfPackages(ROOT + ".application..", ROOT + ".http..", ROOT + ".node..")
                .should().dependOnClassesThat().resideInAPackage(ROOT + ".application..")
                .check(classes);
    }

    @Test
    void theApplicationLayerKnowsNoHttp() {
        noClasses().that().resideInAPackage(ROOT + ".application..")
                .should().dependOnClassesThat().resideInAPackage("org.apache.pekko.http..")
                .check(classes);
    }

    /**
     * No main source file of any Java module over 400 lines: a file that outgrows it holds more than
     * one concept (docs/architecture.md). Tests run with the module as working directory.
     */
    @Test
    void noMainSourceFileIsOver400Lines() throws java.io.IOException {
        java.nio.file.Path project = java.nio.file.Path.of("").toAbsolutePath().getParent();
        java.util.List<String> tooLong = new java.util.ArrayList<>();
        for (String module : java.util.List.of("protocol", "persistence", "cluster", "simulator", "ops")) {
            java.nio.file.Path sources = project.resolve(module).resolve("src/main/java");
            org.junit.jupiter.api.Assertions.assertTrue(java.nio.file.Files.isDirectory(sources), "no " + sources);
            try (var files = java.nio.file.Files.walk(sources)) {
                for (java.nio.file.Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    long lines;
                    try (var l = java.nio.file.Files.lines(f)) {
                        lines = l.count();
                    }
                    if (lines > 400) {
                        tooLong.add(project.relativize(f) + ": " + lines);
                    }
                }
            }
        }
        org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of(), tooLong);
    }
}
