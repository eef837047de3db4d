package org.microcert.cluster.http;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Test classes that drive {@link GatewayHttpTest}'s node (its tokens, card and helpers), started for each class. */
abstract class OnGatewayNode {

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        GatewayHttpTest.dir = dir; // its node, in a directory of this class
        GatewayHttpTest.start();
    }

    @AfterAll
    static void stop() {
        GatewayHttpTest.stop();
    }
}
