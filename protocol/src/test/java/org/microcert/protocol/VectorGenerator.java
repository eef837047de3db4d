package org.microcert.protocol;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Generates the machine-readable test vectors in {@code protocol/src/test/resources/vectors/}:
 * {@code csk.json}, {@code certificates.json}, {@code envelopes.json}, {@code negative.json}.
 * Every random input (seeds, nonces, certificate randoms) comes from {@link DeterministicRandom},
 * so the output is reproducible; {@code VectorsTest} checks that the checked-in files equal a fresh
 * generation and that the implementation reproduces and verifies every vector.
 *
 * <p>Regenerate (from the repository root) after a deliberate protocol change:
 * <pre>
 * mvn -B -o -q -pl protocol test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=org.microcert.protocol.VectorGenerator -Dexec.args=protocol/src/test/resources/vectors
 * </pre>
 */
public final class VectorGenerator {

    static final HexFormat HEX = HexFormat.of();
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final SensorId SENSOR = SensorId.parse("4d43000000000001");
    /** 2027-03-09T10:15:30Z: inside the seeds' years (epoch 2026). */
    static final long TS = Instant.parse("2027-03-09T10:15:30Z").getEpochSecond();
    static final int MAX_SKEW = 300;

    private final Map<CipherSuite, KeySeed> seeds = new LinkedHashMap<>();
    private final Map<CipherSuite, KeySeed> nextSeeds = new LinkedHashMap<>();

    VectorGenerator() {
        for (CipherSuite s : CipherSuite.values()) {
            seeds.put(s, KeySeed.generate(new DeterministicRandom("seed " + s), 1, 2026));
            nextSeeds.put(s, KeySeed.generate(new DeterministicRandom("next seed " + s), 2, 2027));
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "protocol/src/test/resources/vectors");
        Files.createDirectories(dir);
        for (Map.Entry<String, String> f : new VectorGenerator().files().entrySet()) {
            Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
            System.out.println("wrote " + dir.resolve(f.getKey()));
        }
    }

    /** File name to JSON text. */
    Map<String, String> files() throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("csk.json", text(csk()));
        out.put("certificates.json", text(certificates()));
        out.put("envelopes.json", text(envelopes()));
        out.put("negative.json", text(negative()));
        return out;
    }

    private static String text(ObjectNode node) throws Exception {
        return JSON.writeValueAsString(node) + "\n";
    }

    private ObjectNode root(String description) {
        ObjectNode root = JSON.createObjectNode();
        root.put("description", description);
        root.put("generator", VectorGenerator.class.getName());
        ObjectNode s = root.putObject("seeds");
        for (CipherSuite suite : CipherSuite.values()) {
            s.put(suite.name(), HEX.formatHex(seeds.get(suite).toBytes()));
            s.put(suite.name() + "-next", HEX.formatHex(nextSeeds.get(suite).toBytes()));
        }
        return root;
    }

    ObjectNode csk() throws Exception {
        ObjectNode root = root("CSK derivation (docs/protocol.md#csk). seed: name in 'seeds' (serialised KeySeed). "
                + "cmacKeyRow: index of the Y row keying the CMAC; cmacInput: the CMAC message; key: the derived key.");
        ArrayNode v = root.putArray("vectors");
        long[][] cases = {{TS, 0x0001020304050607L}, {TS + 86_400 * 40, 0xfffefdfcfbfaf9f8L},
            {Instant.parse("2026-01-01T00:00:00Z").getEpochSecond(), 0},
            {Instant.parse("2030-12-31T23:59:59Z").getEpochSecond(), 0x0c0b0a0908070605L}};
        for (CipherSuite suite : CipherSuite.values()) {
            KeySeed seed = seeds.get(suite);
            for (KeyPurpose purpose : KeyPurpose.values()) {
                for (long[] c : cases) {
                    ObjectNode n = v.addObject();
                    n.put("suite", suite.name());
                    n.put("seed", suite.name());
                    n.put("purpose", purpose.name());
                    n.put("sensorId", SENSOR.toString());
                    n.put("timestamp", c[0]);
                    n.put("random", HexFormat.of().toHexDigits(c[1]));
                    int[] rows = CskDerivation.selectRows(seed.epochYear(), c[0], c[1]);
                    ArrayNode r = n.putArray("selectedRows");
                    for (int row : rows) {
                        r.add(row);
                    }
                    n.put("cmacKeyRow", rows[0]);
                    n.put("cmacInput", HEX.formatHex(cskInput(seed, suite, purpose, c[0], c[1], rows)));
                    n.put("key", HEX.formatHex(CskDerivation.derive(seed, suite, purpose, SENSOR, c[0], c[1])));
                }
            }
            for (String when : new String[] {"2025-12-31T23:59:59Z", "2031-01-01T00:00:00Z"}) {
                ObjectNode n = v.addObject();
                n.put("suite", suite.name());
                n.put("seed", suite.name());
                n.put("purpose", "AUTH");
                n.put("sensorId", SENSOR.toString());
                n.put("timestamp", Instant.parse(when).getEpochSecond());
                n.put("random", "0000000000000000");
                n.put("error", "SEED_EXPIRED");
            }
        }
        return root;
    }

    /** The CMAC message, rebuilt independently of CskDerivation from the documented layout. */
    static byte[] cskInput(KeySeed seed, CipherSuite suite, KeyPurpose purpose, long ts, long random, int[] rows) {
        byte[] in = new byte[32 + 16 * (rows.length - 1)];
        in[0] = 1;
        in[1] = 'C';
        in[2] = 'S';
        in[3] = 'K';
        in[4] = (byte) purpose.code();
        in[5] = suite.code();
        Bytes.putLong(in, 6, SENSOR.value());
        Bytes.putInt(in, 14, (int) ts);
        Bytes.putLong(in, 18, random);
        in[26] = 0;
        in[27] = (byte) 0x80;
        byte[] s = seed.toBytes();
        for (int i = 1; i < rows.length; i++) {
            System.arraycopy(s, KeySeed.HEADER_LENGTH + rows[i] * 16, in, 32 + 16 * (i - 1), 16);
        }
        return in;
    }

    ObjectNode certificates() throws Exception {
        ObjectNode root = root("Micro-certificates of every type (docs/protocol.md#certificates). Verify each at "
                + "'verifyAt' with the given skew window; 'key' is the CSK key of the certificate's purpose. "
                + "SIGN: 'data' is the signed data. COMMAND: 'order'. ENC_UP/ENC_DOWN: 'plaintext'.");
        root.put("maxSkewSeconds", MAX_SKEW);
        ArrayNode v = root.putArray("vectors");
        byte[] data = "temperature=21.5C;humidity=40%".getBytes(StandardCharsets.UTF_8);
        byte[] plaintext = "MicroCert payload".getBytes(StandardCharsets.UTF_8);
        for (CipherSuite suite : CipherSuite.values()) {
            KeySeed seed = seeds.get(suite);
            DeterministicRandom rnd = new DeterministicRandom("certificate randoms " + suite);
            add(v, suite, Certificates.tagged(seed, CertificateType.AUTH, suite, SENSOR, TS, rnd.nextLong(),
                    new byte[0], null), seed, null, null);
            add(v, suite, Certificates.tagged(seed, CertificateType.SIGN, suite, SENSOR, TS + 1, rnd.nextLong(),
                    new byte[0], data), seed, data, null);
            add(v, suite, Certificates.tagged(seed, CertificateType.SIGN, suite, SENSOR, TS + 2, rnd.nextLong(),
                    new byte[0], new byte[0]), seed, new byte[0], null);
            add(v, suite, Certificates.tagged(seed, CertificateType.COMMAND, suite, SENSOR, TS + 3, rnd.nextLong(),
                    new CommandOrder.SeedUpdate(2).toBytes(), null), seed, null, null);
            add(v, suite, Certificates.tagged(seed, CertificateType.COMMAND, suite, SENSOR, TS + 4, rnd.nextLong(),
                    new CommandOrder.Revoke(1).toBytes(), null), seed, null, null);
            add(v, suite, Certificates.encrypted(seed, CertificateType.ENC_UP, suite, SENSOR, TS + 5, rnd.nextLong(),
                    plaintext), seed, null, plaintext);
            add(v, suite, Certificates.encrypted(seed, CertificateType.ENC_DOWN, suite, SENSOR, TS + 6, rnd.nextLong(),
                    plaintext), seed, null, plaintext);
            add(v, suite, Certificates.encrypted(seed, CertificateType.ENC_UP, suite, SENSOR, TS + 7, rnd.nextLong(),
                    new byte[0]), seed, null, new byte[0]);
        }
        return root;
    }

    private static void add(ArrayNode v, CipherSuite suite, MicroCertificate c, KeySeed seed, byte[] data,
                            byte[] plaintext) throws Exception {
        ObjectNode n = v.addObject();
        n.put("suite", suite.name());
        n.put("seed", suite.name());
        n.put("type", c.type().name());
        n.put("sensorId", c.sensorId().toString());
        n.put("timestamp", c.timestamp());
        n.put("random", HexFormat.of().toHexDigits(c.random()));
        n.put("key", HEX.formatHex(CskDerivation.derive(seed, suite, c.type().purpose(), c.sensorId(), c.timestamp(),
                c.random())));
        if (data != null) {
            n.put("data", HEX.formatHex(data));
        }
        if (c.type() == CertificateType.COMMAND) {
            CommandOrder o = c.command();
            ObjectNode order = n.putObject("order");
            order.put("op", o instanceof CommandOrder.SeedUpdate ? "SEED_UPDATE" : "REVOKE");
            order.put("seedVersion", o.argument());
        }
        if (plaintext != null) {
            n.put("plaintext", HEX.formatHex(plaintext));
        }
        n.put("verifyAt", c.timestamp() + 1);
        n.put("certificate", HEX.formatHex(c.encode()));
    }

    ObjectNode envelopes() throws Exception {
        ObjectNode root = root("Seed envelopes (docs/protocol.md#envelopes). TRANSPORT: AES-256-GCM under "
                + "'transportKey'. UPDATE: the suite's GCM under 'updateKey' derived from the 'current' seed; the "
                + "envelope carries the 'next' seed.");
        ArrayNode v = root.putArray("vectors");
        byte[] kTrans = new byte[32];
        new DeterministicRandom("K_trans").nextBytes(kTrans);
        for (CipherSuite suite : CipherSuite.values()) {
            SeedEnvelope t = SeedEnvelope.sealTransport(kTrans, SENSOR, suite, seeds.get(suite),
                    new DeterministicRandom("transport nonce " + suite));
            ObjectNode n = v.addObject();
            n.put("kind", "TRANSPORT");
            n.put("suite", suite.name());
            n.put("sensorId", SENSOR.toString());
            n.put("transportKey", HEX.formatHex(kTrans));
            n.put("seed", suite.name());
            n.put("associatedData", HEX.formatHex(t.associatedData()));
            n.put("nonce", HEX.formatHex(t.nonce()));
            n.put("envelope", HEX.formatHex(t.encode()));

            SeedEnvelope u = SeedUpdates.seal(seeds.get(suite), SENSOR, suite, nextSeeds.get(suite),
                    new DeterministicRandom("update nonce " + suite));
            n = v.addObject();
            n.put("kind", "UPDATE");
            n.put("suite", suite.name());
            n.put("sensorId", SENSOR.toString());
            n.put("current", suite.name());
            n.put("seed", suite.name() + "-next");
            n.put("associatedData", HEX.formatHex(u.associatedData()));
            n.put("updateKey", HEX.formatHex(SeedUpdates.updateKey(seeds.get(suite), suite, u.associatedData())));
            n.put("nonce", HEX.formatHex(u.nonce()));
            n.put("envelope", HEX.formatHex(u.encode()));
        }
        return root;
    }

    ObjectNode negative() throws Exception {
        ObjectNode root = root("Inputs that must be rejected. decode-*: strict decoding must fail with 'defect'. "
                + "verify-*, open-update: must fail with 'reject' (a RejectReason).");
        root.put("maxSkewSeconds", MAX_SKEW);
        ArrayNode v = root.putArray("vectors");
        CipherSuite suite = CipherSuite.AES128;
        KeySeed seed = seeds.get(suite);
        DeterministicRandom rnd = new DeterministicRandom("negative randoms");
        byte[] auth = Certificates.tagged(seed, CertificateType.AUTH, suite, SENSOR, TS, rnd.nextLong(),
                new byte[0], null).encode();
        byte[] data = "signed".getBytes(StandardCharsets.UTF_8);
        byte[] sign = Certificates.tagged(seed, CertificateType.SIGN, suite, SENSOR, TS, rnd.nextLong(),
                new byte[0], data).encode();
        byte[] command = Certificates.tagged(seed, CertificateType.COMMAND, suite, SENSOR, TS, rnd.nextLong(),
                new CommandOrder.Revoke(1).toBytes(), null).encode();
        decode(v, "empty", new byte[0], Defect.TOO_SHORT);
        decode(v, "AUTH one byte short", java.util.Arrays.copyOf(auth, 31), Defect.TOO_SHORT);
        decode(v, "AUTH one byte long", java.util.Arrays.copyOf(auth, 33), Defect.TOO_LONG);
        decode(v, "version 2", MicroCertificateTest.with(auth, 0, 0x21), Defect.UNKNOWN_VERSION);
        decode(v, "version 0", MicroCertificateTest.with(auth, 0, 0x01), Defect.UNKNOWN_VERSION);
        decode(v, "type 0", MicroCertificateTest.with(auth, 0, 0x10), Defect.UNKNOWN_TYPE);
        decode(v, "type 15", MicroCertificateTest.with(auth, 0, 0x1f), Defect.UNKNOWN_TYPE);
        decode(v, "suite 0x00", MicroCertificateTest.with(auth, 1, 0x00), Defect.UNKNOWN_SUITE);
        decode(v, "suite 0xff", MicroCertificateTest.with(auth, 1, 0xff), Defect.UNKNOWN_SUITE);
        decode(v, "32 bytes claiming COMMAND", MicroCertificateTest.with(auth, 0, 0x13), Defect.TOO_SHORT);
        decode(v, "COMMAND op 0x07", MicroCertificateTest.with(command, 22, 0x07), Defect.UNKNOWN_COMMAND);
        decode(v, "COMMAND seed version 0", MicroCertificateTest.with(command, 26, 0x00), Defect.BAD_FIELD);
        decode(v, "ENC_UP shorter than header + AEAD tag", MicroCertificateTest.with(java.util.Arrays.copyOf(auth, 37),
                0, 0x14), Defect.TOO_SHORT);

        verify(v, "verify-auth", "AUTH with flipped tag bit", MicroCertificateTest.with(auth, 31, auth[31] ^ 1),
                null, TS, RejectReason.BAD_TAG);
        verify(v, "verify-auth", "AUTH with altered random", MicroCertificateTest.with(auth, 21, auth[21] ^ 0x80),
                null, TS, RejectReason.BAD_TAG);
        verify(v, "verify-auth", "AUTH for another sensor id", MicroCertificateTest.with(auth, 9, auth[9] ^ 1),
                null, TS, RejectReason.BAD_TAG);
        verify(v, "verify-auth", "AUTH re-labelled SM4", MicroCertificateTest.with(auth, 1, 0x02), null, TS,
                RejectReason.BAD_TAG);
        verify(v, "verify-auth", "AUTH too old", auth, null, TS + MAX_SKEW + 1, RejectReason.STALE_TIMESTAMP);
        verify(v, "verify-auth", "AUTH from the future", auth, null, TS - MAX_SKEW - 1, RejectReason.FUTURE_TIMESTAMP);
        verify(v, "verify-auth", "SIGN presented as AUTH", sign, null, TS, RejectReason.WRONG_TYPE);
        verify(v, "verify-auth", "AUTH re-typed as SIGN", MicroCertificateTest.with(auth, 0, 0x12), null, TS,
                RejectReason.WRONG_TYPE);
        verify(v, "verify-auth", "unknown suite", MicroCertificateTest.with(auth, 1, 0x09), null, TS,
                RejectReason.UNSUPPORTED_SUITE);
        verify(v, "verify-auth", "truncated", java.util.Arrays.copyOf(auth, 20), null, TS, RejectReason.MALFORMED);
        long y2031 = Instant.parse("2031-06-01T00:00:00Z").getEpochSecond();
        byte[] expired = auth.clone();
        Bytes.putInt(expired, 10, (int) y2031);
        verify(v, "verify-auth", "timestamp in 2031, after the seed's five years (2026..2030)", expired, null, y2031,
                RejectReason.SEED_EXPIRED);
        verify(v, "verify-sign", "SIGN over other data", sign, "signeD".getBytes(StandardCharsets.UTF_8), TS,
                RejectReason.BAD_TAG);

        SeedEnvelope update = SeedUpdates.seal(seed, SENSOR, suite, nextSeeds.get(suite),
                new DeterministicRandom("negative update nonce"));
        byte[] env = update.encode();
        decodeEnvelope(v, "envelope one byte short", java.util.Arrays.copyOf(env, env.length - 1), Defect.TOO_SHORT);
        decodeEnvelope(v, "envelope format 2", MicroCertificateTest.with(env, 0, 2), Defect.UNKNOWN_VERSION);
        decodeEnvelope(v, "envelope kind 3", MicroCertificateTest.with(env, 1, 3), Defect.UNKNOWN_KIND);
        decodeEnvelope(v, "envelope suite 0", MicroCertificateTest.with(env, 2, 0), Defect.UNKNOWN_SUITE);
        decodeEnvelope(v, "envelope seed version 0", MicroCertificateTest.with(env, 14, 0), Defect.BAD_FIELD);
        openUpdate(v, "UPDATE with flipped ciphertext bit", MicroCertificateTest.with(env, 100, env[100] ^ 4),
                RejectReason.BAD_TAG);
        openUpdate(v, "UPDATE moved to another sensor", MicroCertificateTest.with(env, 10, env[10] ^ 1),
                RejectReason.BAD_TAG);
        openUpdate(v, "UPDATE relabelled TRANSPORT", MicroCertificateTest.with(env, 1, 1), RejectReason.WRONG_TYPE);
        openUpdate(v, "UPDATE skipping a version", MicroCertificateTest.with(env, 14, 3),
                RejectReason.WRONG_SEED_VERSION);
        return root;
    }

    private static void decode(ArrayNode v, String name, byte[] bytes, Defect defect) {
        malformed(v, "decode-certificate", name, bytes, defect);
    }

    private static void decodeEnvelope(ArrayNode v, String name, byte[] bytes, Defect defect) {
        malformed(v, "decode-envelope", name, bytes, defect);
    }

    private static void malformed(ArrayNode v, String kind, String name, byte[] bytes, Defect defect) {
        ObjectNode n = v.addObject();
        n.put("kind", kind);
        n.put("name", name);
        n.put("bytes", HEX.formatHex(bytes));
        n.put("defect", defect.name());
    }

    private static void verify(ArrayNode v, String kind, String name, byte[] bytes, byte[] data, long at,
                               RejectReason reason) {
        ObjectNode n = v.addObject();
        n.put("kind", kind);
        n.put("name", name);
        n.put("seed", "AES128");
        n.put("bytes", HEX.formatHex(bytes));
        if (data != null) {
            n.put("data", HEX.formatHex(data));
        }
        n.put("verifyAt", at);
        n.put("reject", reason.name());
    }

    private static void openUpdate(ArrayNode v, String name, byte[] bytes, RejectReason reason) {
        ObjectNode n = v.addObject();
        n.put("kind", "open-update");
        n.put("name", name);
        n.put("current", "AES128");
        n.put("bytes", HEX.formatHex(bytes));
        n.put("reject", reason.name());
    }
}
