package org.microcert.persistence.card;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SensorId;

/** The key ceremony command line, run in-process against software files and real SoftHSM2 tokens. */
class KeyCeremonyTest {

    @TempDir
    Path dir;
    final Map<String, String> env = new HashMap<>(Map.of(
            "MASTER_PW", "master password 1", "NODE1_PW", "node one password", "NODE2_PW", "node two password",
            "TOKEN_PIN", new String(SoftHsm.PIN), "EXPORT_PW", "factory export password"));
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path master;
    Path token1;
    Path token2;

    @BeforeEach
    void setUp() throws IOException {
        master = dir.resolve("master.bcfks");
        token1 = tokenConfig("ceremony-1");
        token2 = tokenConfig("ceremony-2");
        SoftHsm.wipe("ceremony-1");
        SoftHsm.wipe("ceremony-2");
    }

    private Path tokenConfig(String label) throws IOException {
        Pkcs11Config c = SoftHsm.token(label);
        return Files.writeString(dir.resolve(label + ".properties"),
                "library = " + c.library() + "\nslot = " + c.slot() + "\n");
    }

    private int ceremony(String... args) {
        return KeyCeremonyCli.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String[] allCards() {
        return new String[] {"--software", dir.resolve("node1.bcfks").toString(), "--password-env", "NODE1_PW",
                "--software", dir.resolve("node2.bcfks").toString(), "--password-env", "NODE2_PW",
                "--pkcs11", token1.toString(), "--pin-env", "TOKEN_PIN",
                "--pkcs11", token2.toString(), "--pin-env", "TOKEN_PIN"};
    }

    private String[] with(String command, String... rest) {
        List<String> a = new ArrayList<>(List.of(command, "--master", master.toString(), "--password-env", "MASTER_PW"));
        a.addAll(List.of(rest));
        return a.toArray(String[]::new);
    }

    private List<EncryptionCard> openAll() {
        return List.of(
                SoftwareCard.open(dir.resolve("node1.bcfks"), env.get("NODE1_PW").toCharArray(), dir.resolve("n1.state")),
                SoftwareCard.open(dir.resolve("node2.bcfks"), env.get("NODE2_PW").toCharArray(), dir.resolve("n2.state")),
                Pkcs11Card.open(SoftHsm.token("ceremony-1"), SoftHsm.PIN, dir.resolve("t1.state"), 0),
                Pkcs11Card.open(SoftHsm.token("ceremony-2"), SoftHsm.PIN, dir.resolve("t2.state"), 0));
    }

    /** Every card seals a seed that every other card opens; each provisions from the factory's K_trans. */
    private void assertCardsInterwork(List<EncryptionCard> cards, byte[] kTrans, int keyVersion) {
        for (int i = 0; i < cards.size(); i++) {
            KeySeed seed = CardFixtures.seed(1);
            SealedSeed sealed = cards.get(i).provision(CardFixtures.transportEnvelope(kTrans, new SensorId(i), seed));
            assertEquals(keyVersion, sealed.keyVersion());
            for (EncryptionCard other : cards) {
                assertTrue(other.open(sealed).sameSecretAs(seed), () -> other + " cannot open a seed of another card");
            }
        }
    }

    @Test
    void oneCeremonyGivesSoftwareAndTokenCardsTheSameKeysAndRotatesThem() throws Exception {
        assertEquals(0, ceremony(with("create")), err::toString);
        assertEquals(0, ceremony(with("distribute", allCards())), err::toString);
        assertEquals(0, ceremony(with("export-transport", "--out", dir.resolve("factory.mctk").toString(),
                "--password-env", "EXPORT_PW", "--iterations", "100000")), err::toString);
        byte[] kTrans = FactoryTransportKey.load(dir.resolve("factory.mctk"), env.get("EXPORT_PW").toCharArray());

        List<EncryptionCard> cards = openAll();
        SealedSeed v1Record = cards.get(0).seal(new SensorId(99), CipherSuite.AES128, CardFixtures.seed(1));
        assertCardsInterwork(cards, kTrans, 1);
        cards.forEach(EncryptionCard::close);

        assertEquals(0, ceremony(with("rotate", allCards())), err::toString);
        cards = openAll();
        try {
            for (EncryptionCard c : cards) {
                assertEquals(2, c.currentKeyVersion());
                assertEquals(2, c.rewrap(v1Record).keyVersion());
            }
            assertCardsInterwork(cards, kTrans, 2);
        } finally {
            cards.forEach(EncryptionCard::close);
        }

        assertEquals(0, ceremony("show", "--pkcs11", token1.toString(), "--pin-env", "TOKEN_PIN"), err::toString);
        assertTrue(out.toString().contains("microcert-k-store-v2  kcv "), out::toString);
        assertNoSecretOnDiskOrInOutput(kTrans);
    }

    private void assertNoSecretOnDiskOrInOutput(byte[] kTrans) throws IOException {
        CardKeyMaterial keys = SoftwareCard.readKeystore(master, env.get("MASTER_PW").toCharArray());
        List<byte[]> secrets = new ArrayList<>(List.of(keys.transport(), keys.integrity()));
        secrets.addAll(keys.store().values());
        assertArrayEquals(keys.transport(), kTrans);
        Path tokens = Path.of(System.getenv("SOFTHSM2_CONF")).resolveSibling("tokens");
        try (Stream<Path> files = Stream.concat(Files.walk(dir), Files.walk(tokens))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] content = Files.readAllBytes(f);
                for (byte[] key : secrets) {
                    assertFalse(contains(content, key), () -> "a key lies in clear in " + f);
                }
            }
        }
        String printed = out + err.toString();
        for (String value : env.values()) {
            assertFalse(printed.contains(value), "a secret was printed");
        }
        keys.destroy();
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void badArgumentsWrongPasswordsAndMissingFilesAreClearErrors() {
        assertEquals(2, ceremony());
        assertEquals(2, ceremony("frobnicate"));
        assertEquals(2, ceremony(with("distribute")));
        assertTrue(err.toString().contains("needs at least one --software or --pkcs11 card"), err::toString);
        assertEquals(2, ceremony("show", "--software", "x.bcfks", "--pin-env", "TOKEN_PIN"));
        assertEquals(2, ceremony("create", "--master", master.toString(), "--password-env", "UNSET_VARIABLE"));
        assertTrue(err.toString().contains("UNSET_VARIABLE"), err::toString);

        assertEquals(1, ceremony(with("distribute", allCards())));
        assertTrue(err.toString().contains("no keystore at " + master), err::toString);
        assertEquals(0, ceremony(with("create")));
        assertEquals(1, ceremony(with("create")));
        assertTrue(err.toString().contains("already exists"), err::toString);

        env.put("MASTER_PW", "not the master password");
        assertEquals(1, ceremony(with("distribute", allCards())));
        assertTrue(err.toString().contains("refused the password"), err::toString);
        assertFalse(err.toString().contains("not the master password"));
        assertEquals(1, ceremony("show", "--pkcs11", dir.resolve("missing.properties").toString(), "--pin-env", "TOKEN_PIN"));
        assertTrue(err.toString().contains("no PKCS#11 card configuration at"), err::toString);
        assertFalse(err.toString().contains("Exception"), err::toString);
    }

    @Test
    void aCardOfAnotherCenterIsRefusedAndNothingChanges() {
        assertEquals(0, ceremony(with("create")));
        assertEquals(0, ceremony(with("distribute", "--pkcs11", token1.toString(), "--pin-env", "TOKEN_PIN")));
        Path otherMaster = dir.resolve("other.bcfks");
        assertEquals(0, ceremony("create", "--master", otherMaster.toString(), "--password-env", "MASTER_PW"));
        assertEquals(1, ceremony("distribute", "--master", otherMaster.toString(), "--password-env", "MASTER_PW",
                "--software", dir.resolve("fresh.bcfks").toString(), "--password-env", "NODE1_PW",
                "--pkcs11", token1.toString(), "--pin-env", "TOKEN_PIN"));
        assertTrue(err.toString().contains("different"), err::toString);
        assertFalse(Files.exists(dir.resolve("fresh.bcfks")), "a card was written although another was refused");
        assertEquals(1, ceremony("rotate", "--master", otherMaster.toString(), "--password-env", "MASTER_PW",
                "--pkcs11", token1.toString(), "--pin-env", "TOKEN_PIN"));
    }

    @Test
    void factoryTransportKeyFileRefusesWrongPasswordAlterationAndReplacement() throws IOException {
        byte[] kTrans = new byte[32];
        CardFixtures.RANDOM.nextBytes(kTrans);
        Path f = dir.resolve("k.mctk");
        char[] pw = "station password".toCharArray();
        FactoryTransportKey.write(f, kTrans, pw, FactoryTransportKey.MIN_ITERATIONS, CardFixtures.RANDOM);
        assertArrayEquals(kTrans, FactoryTransportKey.load(f, pw));
        assertEquals(CardException.Reason.WRONG_SECRET,
                CardFixtures.reasonOf(() -> FactoryTransportKey.load(f, "wrong".toCharArray())));
        assertEquals(CardException.Reason.INVALID_ARGUMENT, CardFixtures.reasonOf(
                () -> FactoryTransportKey.write(f, kTrans, pw, FactoryTransportKey.MIN_ITERATIONS, CardFixtures.RANDOM)));
        byte[] bytes = Files.readAllBytes(f);
        bytes[12] ^= 1; // the salt
        Path altered = Files.write(dir.resolve("altered.mctk"), bytes);
        assertEquals(CardException.Reason.WRONG_SECRET, CardFixtures.reasonOf(() -> FactoryTransportKey.load(altered, pw)));
        Path truncated = Files.write(dir.resolve("short.mctk"), java.util.Arrays.copyOf(bytes, 40));
        assertEquals(CardException.Reason.INVALID_ARGUMENT,
                CardFixtures.reasonOf(() -> FactoryTransportKey.load(truncated, pw)));
        assertEquals(CardException.Reason.NOT_FOUND,
                CardFixtures.reasonOf(() -> FactoryTransportKey.load(dir.resolve("none"), pw)));
        assertFalse(contains(Files.readAllBytes(f), kTrans));
    }

    @Test
    void developmentCenterComesWithTheFactorysTransportKey() {
        char[] pw = "dev password".toCharArray();
        byte[] kTrans = KeyCeremony.createWithTransportKey(master, pw);
        try (SoftwareCard card = SoftwareCard.open(master, pw, dir.resolve("dev.state"))) {
            KeySeed seed = CardFixtures.seed(1);
            SealedSeed sealed = card.provision(CardFixtures.transportEnvelope(kTrans, new SensorId(7), seed));
            assertTrue(card.open(sealed).sameSecretAs(seed));
        }
        assertEquals(CardException.Reason.INVALID_ARGUMENT,
                CardFixtures.reasonOf(() -> KeyCeremony.createWithTransportKey(master, pw)));
    }
}
