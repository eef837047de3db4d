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
}
