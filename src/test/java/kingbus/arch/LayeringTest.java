package kingbus.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Keeps the package arrows of ../shared/STYLE.md true: imports point down, annotations stay at the edge. */
class LayeringTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("kingbus");

    private static final String[] CORE = {
        "kingbus.server..", "kingbus.syncer..", "kingbus.raft..", "kingbus.store..", "kingbus.protocol..", "kingbus.gtid.."
    };

    @Test
    void serverAndSyncerNeverImportEachOther() {
        noClasses().that().resideInAPackage("kingbus.server..").should().dependOnClassesThat()
                .resideInAPackage("kingbus.syncer..").check(MAIN);
        noClasses().that().resideInAPackage("kingbus.syncer..").should().dependOnClassesThat()
                .resideInAPackage("kingbus.server..").check(MAIN);
    }

    @Test
    void lowerPackagesDoNotReachUp() {
        noClasses().that().resideInAnyPackage("kingbus.gtid..", "kingbus.protocol..").should().dependOnClassesThat()
                .resideInAnyPackage("kingbus.store..", "kingbus.raft..", "kingbus.server..", "kingbus.syncer..",
                        "kingbus.app..", "kingbus.config..", "kingbus.health..", "kingbus.admin..")
                .check(MAIN);
        noClasses().that().resideInAPackage("kingbus.store..").should().dependOnClassesThat()
                .resideInAnyPackage("kingbus.raft..", "kingbus.server..", "kingbus.syncer..", "kingbus.app..")
                .check(MAIN);
        noClasses().that().resideInAnyPackage(CORE).should().dependOnClassesThat()
                .resideInAnyPackage("kingbus.app..", "kingbus.config..", "kingbus.health..", "kingbus.admin..")
                .check(MAIN);
    }

    @Test
    void coreIsPlainJava() {
        noClasses().that().resideInAnyPackage(CORE).should().dependOnClassesThat()
                .resideInAnyPackage("jakarta..", "org.eclipse.microprofile..")
                .check(MAIN);
    }
}
