package org.microcert.persistence.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.SensorId;

class SoftwareCardTest extends EncryptionCardContract {

    @Override
    EncryptionCard cardWith(String name, CardKeyMaterial keys, int activeVersion) {
        Path ks = dir.resolve(name + ".bcfks");
        SoftwareCard.writeKeystore(ks, CardFixtures.PASSWORD, keys);
        return SoftwareCard.open(ks, CardFixtures.PASSWORD, dir.resolve(name + ".state"), activeVersion);
    }

    @Override
    Path stateFile(String name) {
        return dir.resolve(name + ".state");
    }

    @Test
    void wrongPasswordIsAClearErrorWithoutThePassword() {
        Path ks = dir.resolve("a.bcfks");
        SoftwareCard.writeKeystore(ks, CardFixtures.PASSWORD, CardFixtures.ceremony());
        char[] wrong = "Tr0ub4dor&3".toCharArray();
        CardException e = assertThrows(CardException.class, () -> SoftwareCard.open(ks, wrong, dir.resolve("s")));
        assertEquals(CardException.Reason.WRONG_SECRET, e.reason());
        assertFalse(e.getMessage().contains("Tr0ub4dor"));
        assertFalse(Files.exists(dir.resolve("s")));
    }

    @Test
    void missingOrForeignKeystoreIsAClearError() throws Exception {
        assertEquals(CardException.Reason.NOT_FOUND, CardFixtures.reasonOf(
                () -> SoftwareCard.open(dir.resolve("none.bcfks"), CardFixtures.PASSWORD, dir.resolve("s"))));
        Path junk = Files.writeString(dir.resolve("junk.bcfks"), "not a keystore");
        assertEquals(CardException.Reason.INVALID_CARD,
                CardFixtures.reasonOf(() -> SoftwareCard.open(junk, CardFixtures.PASSWORD, dir.resolve("s"))));
    }

    @Test
    void aCardThatDoesNotOpenDestroysTheKeysItCopied() throws Exception {
        Path ks = dir.resolve("k.bcfks");
        CardKeyMaterial keys = CardFixtures.ceremony();
        keys.addStoreVersion(CardFixtures.RANDOM);
        SoftwareCard.writeKeystore(ks, CardFixtures.PASSWORD, keys);

        List<CardKey> made = new ArrayList<>();
        assertEquals(CardException.Reason.UNKNOWN_KEY_VERSION, CardFixtures.reasonOf(
                () -> SoftwareCard.open(ks, CardFixtures.PASSWORD, dir.resolve("k.state"), 7, made)));
        assertAllDestroyed(made);

        List<CardKey> kept = new ArrayList<>();
        try (SoftwareCard card = SoftwareCard.open(ks, CardFixtures.PASSWORD, dir.resolve("k.state"), 0, kept)) {
            card.recordStored(card.seal(new SensorId(1), CipherSuite.AES128, CardFixtures.seed(1)));
            assertEquals(4, kept.size());
            assertTrue(kept.stream().noneMatch(CardKey::isDestroyed), "an open card keeps its keys");
        }
        assertAllDestroyed(kept);

        byte[] state = Files.readAllBytes(dir.resolve("k.state"));
        state[20] ^= 1;
        Files.write(dir.resolve("k.state"), state);
        List<CardKey> tampered = new ArrayList<>();
        assertEquals(CardException.Reason.STATE_TAMPERED, CardFixtures.reasonOf(
                () -> SoftwareCard.open(ks, CardFixtures.PASSWORD, dir.resolve("k.state"), 0, tampered)));
        assertAllDestroyed(tampered);
    }

    private static void assertAllDestroyed(List<CardKey> keys) {
        assertEquals(4, keys.size(), "K_trans, two K_store versions, the integrity key");
        assertTrue(keys.stream().allMatch(CardKey::isDestroyed), keys::toString);
    }

    @Test
    void aKeystoreThatFailsToReadWipesTheKeysReadSoFar() {
        byte[][] raw = new byte[4][];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = new byte[i == 3 ? 16 : CardKeyMaterial.KEY_BYTES];
            CardFixtures.RANDOM.nextBytes(raw[i]);
        }
        // store version 2 is an AES-128 key: refused after K_trans, the integrity key and perhaps version 1 were read
        Path shortKey = dir.resolve("short.bcfks");
        SoftwareCard.writeKeystore(shortKey, CardFixtures.PASSWORD, new CardKeyMaterial(raw[0].clone(),
                new java.util.TreeMap<>(Map.of(1, raw[1].clone(), 2, raw[3].clone())), raw[2].clone()));
        List<byte[]> read = new ArrayList<>();
        CardException e = assertThrows(CardException.class, () -> SoftwareCard.readKeystore(shortKey, CardFixtures.PASSWORD, read));
        assertEquals(CardException.Reason.INVALID_CARD, e.reason());
        assertEquals("INVALID_CARD: " + shortKey + " has no 256-bit key microcert-k-store-v2", e.getMessage());
        assertWiped(read);

        Path noStore = dir.resolve("nostore.bcfks");
        SoftwareCard.writeKeystore(noStore, CardFixtures.PASSWORD, new CardKeyMaterial(raw[0].clone(),
                new java.util.TreeMap<>(), raw[2].clone()));
        List<byte[]> readToo = new ArrayList<>();
        assertEquals(CardException.Reason.INVALID_CARD,
                CardFixtures.reasonOf(() -> SoftwareCard.readKeystore(noStore, CardFixtures.PASSWORD, readToo)));
        assertEquals(2, readToo.size(), "K_trans and the integrity key were read");
        assertWiped(readToo);
    }

    private static void assertWiped(List<byte[]> keys) {
        assertTrue(keys.size() >= 2, "at least K_trans and the integrity key were read");
        for (byte[] k : keys) {
            assertTrue(java.util.Arrays.equals(new byte[k.length], k), "a key read before the failure is wiped");
        }
    }

    @Test
    void aStateFileOfFormat1IsReadThenUpgradedAndResetToMakesTheAuditExact() throws Exception {
        CardKeyMaterial keys = CardFixtures.ceremony();
        List<SealedSeed> records = new ArrayList<>();
        SetDigest.Builder digest = new SetDigest.Builder();
        try (EncryptionCard c = cardWith("v1", keys, 0)) {
            for (int i = 1; i <= 5; i++) {
                SealedSeed s = c.seal(new SensorId(i), CipherSuite.AES128, CardFixtures.seed(1));
                records.add(s);
                digest.add(s.sensorId(), c.digest(s));
            }
        }
        // what a card wrote before the reference log: "MCSD" | 0x01 | generation | digest | HMAC
        byte[] body = ByteBuffer.allocate(4 + 1 + 8 + SetDigest.ENCODED_BYTES).put("MCSD".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 1).putLong(7).put(digest.build().toBytes()).array();
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(keys.integrity(), "HmacSHA256"));
        mac.update("microcert/card-state/v1".getBytes(StandardCharsets.US_ASCII));
        byte[] tag = mac.doFinal(body);
        Files.write(stateFile("v1"), ByteBuffer.allocate(body.length + tag.length).put(body).put(tag).array());
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("v1.state.refs")).toList()) {
                Files.delete(f);
            }
        }

        try (EncryptionCard c = cardWith("v1", keys, 0)) {
            assertEquals(digest.build(), c.setDigest());
            assertFalse(SetDigestAudit.exact(c.setDigest(), c.references()), "no references yet: buckets");
            assertEquals(List.of(), SetDigestAudit.compare(c, c.setDigest(), c.references(), records, Map.of()));
            c.resetTo(records);
            assertEquals(digest.build(), c.setDigest());
            assertEquals(CardStateFile.FILE_BYTES, Files.size(stateFile("v1")), "written as format 2");
        }
        try (EncryptionCard c = cardWith("v1", keys, 0)) {
            assertTrue(SetDigestAudit.exact(c.setDigest(), c.references()));
            assertEquals(List.of(SetDigestAudit.Kind.REMOVED), SetDigestAudit.compare(c, c.setDigest(), c.references(),
                    records.subList(1, 5), Map.of()).stream().map(SetDigestAudit.Finding::kind).toList());
        }
    }
}
