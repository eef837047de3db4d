package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/** Loads the JSON vectors in src/test/resources/vectors and checks the implementation against each one. */
class VectorsTest {

    private static final HexFormat HEX = HexFormat.of();

    private static JsonNode load(String name) throws Exception {
        try (InputStream in = VectorsTest.class.getResourceAsStream("/vectors/" + name)) {
            return VectorGenerator.JSON.readTree(in);
        }
    }

    private static KeySeed seed(JsonNode root, String name) throws Exception {
        return KeySeed.fromBytes(HEX.parseHex(root.get("seeds").get(name).asText()));
    }

    private static byte[] hex(JsonNode n, String field) {
        return HEX.parseHex(n.get(field).asText());
    }

    private static long random(JsonNode n) {
        return Long.parseUnsignedLong(n.get("random").asText(), 16);
    }

    @Test
    void checkedInVectorsAreExactlyWhatTheGeneratorProduces() throws Exception {
        for (Map.Entry<String, String> f : new VectorGenerator().files().entrySet()) {
            try (InputStream in = VectorsTest.class.getResourceAsStream("/vectors/" + f.getKey())) {
                assertEquals(f.getValue(), new String(in.readAllBytes(), StandardCharsets.UTF_8), f.getKey());
            }
        }
    }

    @Test
    void cskVectorsAreReproducedAndFollowTheDocumentedConstruction() throws Exception {
        JsonNode root = load("csk.json");
        int checked = 0;
        for (JsonNode v : root.get("vectors")) {
            KeySeed seed = seed(root, v.get("seed").asText());
            CipherSuite suite = CipherSuite.valueOf(v.get("suite").asText());
            KeyPurpose purpose = KeyPurpose.valueOf(v.get("purpose").asText());
            SensorId id = SensorId.parse(v.get("sensorId").asText());
            long ts = v.get("timestamp").asLong();
            if (v.has("error")) {
                assertThrows(SeedExpiredException.class, () -> CskDerivation.derive(seed, suite, purpose, id, ts, random(v)));
                continue;
            }
            int[] rows = CskDerivation.selectRows(seed.epochYear(), ts, random(v));
            for (int i = 0; i < rows.length; i++) {
                assertEquals(v.get("selectedRows").get(i).asInt(), rows[i]);
            }
            byte[] key = hex(v, "key");
            assertArrayEquals(key, CskDerivation.derive(seed, suite, purpose, id, ts, random(v)));
            // independently: key = CMAC(Y row, cmacInput), and cmacInput holds the public block and the rows
            byte[] yRow = Arrays.copyOfRange(seed.toBytes(), KeySeed.HEADER_LENGTH + 16 * v.get("cmacKeyRow").asInt(),
                    KeySeed.HEADER_LENGTH + 16 * v.get("cmacKeyRow").asInt() + 16);
            assertArrayEquals(key, cmac(suite, yRow, hex(v, "cmacInput")));
            assertArrayEquals(hex(v, "cmacInput"), VectorGenerator.cskInput(seed, suite, purpose, ts, random(v), rows));
            checked++;
        }
        assertEquals(2 * KeyPurpose.values().length * 4, checked);
    }

    @Test
    void certificateVectorsDecodeVerifyAndCarryTheDocumentedTags() throws Exception {
        JsonNode root = load("certificates.json");
        Duration skew = Duration.ofSeconds(root.get("maxSkewSeconds").asLong());
        CertificateVerifier verifier = new CertificateVerifier(skew);
        int checked = 0;
        for (JsonNode v : root.get("vectors")) {
            KeySeed seed = seed(root, v.get("seed").asText());
            byte[] bytes = hex(v, "certificate");
            MicroCertificate c = MicroCertificate.decode(bytes);
            assertArrayEquals(bytes, c.encode());
            assertEquals(CertificateType.valueOf(v.get("type").asText()), c.type());
            assertEquals(CipherSuite.valueOf(v.get("suite").asText()), c.suite());
            assertEquals(v.get("sensorId").asText(), c.sensorId().toString());
            assertEquals(v.get("timestamp").asLong(), c.timestamp());
            assertEquals(random(v), c.random());
            byte[] key = hex(v, "key");
            assertArrayEquals(key, CskDerivation.derive(seed, c.suite(), c.type().purpose(), c.sensorId(), c.timestamp(),
                    c.random()));
            Instant at = Instant.ofEpochSecond(v.get("verifyAt").asLong());
            SensorChip chip = SensorChip.withSeed(c.sensorId(), c.suite(), KeySeed.fromBytes(seed.toBytes()),
                    new DeterministicRandom("chip"), skew);
            switch (c.type()) {
                case AUTH -> {
                    verifier.verifyAuth(seed, bytes, at);
                    assertTagIs(c, key, c.header());
                }
                case SIGN -> {
                    byte[] data = hex(v, "data");
                    verifier.verifySign(seed, bytes, data, at);
                    byte[] digest = Engines.of(c.suite()).digest(data);
                    assertTagIs(c, key, concat(c.header(), digest));
                }
                case COMMAND -> {
                    CommandOrder o = chip.accept(c, at);
                    assertEquals(v.get("order").get("seedVersion").asInt(), o.argument());
                    assertEquals(v.get("order").get("op").asText(), o instanceof CommandOrder.SeedUpdate ? "SEED_UPDATE" : "REVOKE");
                    assertTagIs(c, key, concat(c.header(), c.body()));
                }
                case ENC_UP -> assertArrayEquals(hex(v, "plaintext"), verifier.decryptPayload(seed, c, at));
                case ENC_DOWN -> assertArrayEquals(hex(v, "plaintext"), chip.decrypt(c, at));
            }
            checked++;
        }
        assertEquals(16, checked);
    }

    @Test
    void envelopeVectorsOpenToTheirSeeds() throws Exception {
        JsonNode root = load("envelopes.json");
        int checked = 0;
        for (JsonNode v : root.get("vectors")) {
            SeedEnvelope e = SeedEnvelope.decode(hex(v, "envelope"));
            assertArrayEquals(hex(v, "envelope"), e.encode());
            assertArrayEquals(hex(v, "associatedData"), e.associatedData());
            assertArrayEquals(hex(v, "nonce"), e.nonce());
            assertEquals(v.get("sensorId").asText(), e.sensorId().toString());
            KeySeed expected = seed(root, v.get("seed").asText());
            KeySeed opened = switch (v.get("kind").asText()) {
                case "TRANSPORT" -> SeedEnvelope.openTransport(new SecretKeySpec(hex(v, "transportKey"), "AES"), e);
                case "UPDATE" -> {
                    KeySeed current = seed(root, v.get("current").asText());
                    assertArrayEquals(hex(v, "updateKey"), SeedUpdates.updateKey(current, e.suite(), e.associatedData()));
                    yield SeedUpdates.open(current, e);
                }
                default -> throw new AssertionError(v.get("kind").asText());
            };
            assertTrue(expected.sameSecretAs(opened));
            checked++;
        }
        assertEquals(4, checked);
    }

    @Test
    void negativeVectorsAreRejectedForTheStatedReason() throws Exception {
        JsonNode root = load("negative.json");
        CertificateVerifier verifier = new CertificateVerifier(Duration.ofSeconds(root.get("maxSkewSeconds").asLong()));
        int checked = 0;
        for (JsonNode v : root.get("vectors")) {
            String name = v.get("name").asText();
            byte[] bytes = hex(v, "bytes");
            switch (v.get("kind").asText()) {
                case "decode-certificate" -> assertEquals(Defect.valueOf(v.get("defect").asText()),
                        assertThrows(MalformedCertificateException.class, () -> MicroCertificate.decode(bytes), name).reason(), name);
                case "decode-envelope" -> assertEquals(Defect.valueOf(v.get("defect").asText()),
                        assertThrows(MalformedEnvelopeException.class, () -> SeedEnvelope.decode(bytes), name).reason(), name);
                case "verify-auth", "verify-sign" -> {
                    KeySeed seed = seed(root, v.get("seed").asText());
                    Instant at = Instant.ofEpochSecond(v.get("verifyAt").asLong());
                    VerificationException e = assertThrows(VerificationException.class, () -> {
                        if (v.get("kind").asText().equals("verify-auth")) {
                            verifier.verifyAuth(seed, bytes, at);
                        } else {
                            verifier.verifySign(seed, bytes, hex(v, "data"), at);
                        }
                    }, name);
                    assertEquals(RejectReason.valueOf(v.get("reject").asText()), e.reason(), name + ": " + e.getMessage());
                    assertFalse(e.getMessage().isBlank());
                }
                case "open-update" -> {
                    KeySeed current = seed(root, v.get("current").asText());
                    VerificationException e = assertThrows(VerificationException.class,
                            () -> SeedUpdates.open(current, SeedEnvelope.decode(bytes)), name);
                    assertEquals(RejectReason.valueOf(v.get("reject").asText()), e.reason(), name + ": " + e.getMessage());
                }
                default -> throw new AssertionError(v.get("kind").asText());
            }
            checked++;
        }
        assertTrue(checked >= 30, "negative vectors checked: " + checked);
    }

    private static void assertTagIs(MicroCertificate c, byte[] key, byte[] macInput) {
        byte[] full = cmac(c.suite(), key, macInput);
        assertArrayEquals(Arrays.copyOf(full, c.suite().tagLength()), c.tag());
    }

    private static byte[] cmac(CipherSuite suite, byte[] key, byte[] msg) {
        CMac mac = new CMac(suite.newBlockCipher());
        mac.init(new KeyParameter(key));
        mac.update(msg, 0, msg.length);
        byte[] out = new byte[16];
        mac.doFinal(out, 0);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
