package org.microcert.simulator.fleet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.simulator.gateway.GatewayException;

class TransportKeyFileTest {

    @TempDir
    Path dir;

    @Test
    void readsTheCeremonysExportWithItsPassword() throws Exception {
        byte[] k = new byte[32];
        k[0] = 7;
        ExportWriter.write(dir.resolve("k.mctk"), k, "right".toCharArray());
        Files.writeString(dir.resolve("pw"), "right\n");
        assertArrayEquals(k, TransportKeyFile.load(dir.resolve("k.mctk"), dir.resolve("pw")));
    }

    @Test
    void aWrongPasswordAlteredOrMissingFileIsAClearError() throws Exception {
        ExportWriter.write(dir.resolve("k.mctk"), new byte[32], "right".toCharArray());
        Files.writeString(dir.resolve("pw"), "wrong");
        assertTrue(assertThrows(GatewayException.class, () -> TransportKeyFile.load(dir.resolve("k.mctk"), dir.resolve("pw")))
                .getMessage().contains("refused the password"));
        byte[] altered = Files.readAllBytes(dir.resolve("k.mctk"));
        altered[50] ^= 1;
        Files.write(dir.resolve("altered.mctk"), altered);
        Files.writeString(dir.resolve("pw"), "right");
        assertTrue(assertThrows(GatewayException.class,
                () -> TransportKeyFile.load(dir.resolve("altered.mctk"), dir.resolve("pw"))).getMessage().contains("altered"));
        Files.writeString(dir.resolve("junk"), "not a key");
        assertTrue(assertThrows(GatewayException.class, () -> TransportKeyFile.load(dir.resolve("junk"), dir.resolve("pw")))
                .getMessage().contains("not a MicroCert transport key"));
        assertTrue(assertThrows(GatewayException.class, () -> TransportKeyFile.load(dir.resolve("none"), dir.resolve("pw")))
                .getMessage().contains("key-ceremony"));
    }
}
