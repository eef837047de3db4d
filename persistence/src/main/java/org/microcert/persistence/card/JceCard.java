package org.microcert.persistence.card;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.UnaryOperator;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.MalformedSeedException;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SensorId;
import org.microcert.protocol.VerificationException;

/**
 * The card logic shared by every implementation: AES-256-GCM sealing, record digests and the set
 * digest, on top of JCA keys and a JCA provider. {@link SoftwareCard} passes in-memory keys and the
 * JDK's provider; {@link Pkcs11Card} passes token key handles and its SunPKCS11 instance, so the same
 * code runs the cryptography inside the token.
 */
abstract class JceCard implements EncryptionCard {

    static final int NONCE_BYTES = 12;
    static final int GCM_TAG_BITS = 128;
    private static final byte[] SEAL_LABEL = "microcert/sealed-seed/v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DIGEST_LABEL = "microcert/record-digest/v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SET_MAC_LABEL = "microcert/set-digest/v1".getBytes(StandardCharsets.US_ASCII);

    private final String description;
    private final Provider provider;
    private final SecretKey transportKey;
    private final SortedMap<Integer, SecretKey> storeKeys;
    private final SecretKey integrityKey;
    private final int currentVersion;
    private final SecureRandom random = new SecureRandom();
    private final CardLedger ledger;
    private volatile boolean closed;

    /**
     * @param description   what to call this card in messages: a path or token label, never a secret
     * @param provider      the JCA provider that runs AES-GCM and HMAC with these keys
     * @param activeVersion the K_store version to seal under, or 0 for the highest held
     */
    JceCard(String description, Provider provider, SecretKey transportKey, Map<Integer, SecretKey> storeKeys,
            SecretKey integrityKey, int activeVersion, Path stateFile) {
        this.description = Objects.requireNonNull(description, "description");
        this.provider = Objects.requireNonNull(provider, "provider");
        this.transportKey = Objects.requireNonNull(transportKey, "transportKey");
        this.storeKeys = Collections.unmodifiableSortedMap(new TreeMap<>(storeKeys));
        this.integrityKey = Objects.requireNonNull(integrityKey, "integrityKey");
        Objects.requireNonNull(stateFile, "stateFile");
        if (this.storeKeys.isEmpty()) {
            throw new CardException(CardException.Reason.INVALID_CARD, "the card holds no storage key");
        }
        if (activeVersion != 0 && !this.storeKeys.containsKey(activeVersion)) {
            throw new CardException(CardException.Reason.UNKNOWN_KEY_VERSION,
                    "active storage key version " + activeVersion + " is not on the card (it holds "
                            + this.storeKeys.keySet() + ")");
        }
        this.currentVersion = activeVersion == 0 ? this.storeKeys.lastKey() : activeVersion;
        this.ledger = new CardLedger(stateFile, this::hmac);
    }

    @Override
    public SealedSeed provision(SeedEnvelope envelope) {
        checkOpen();
        Objects.requireNonNull(envelope, "envelope");
        if (envelope.kind() != SeedEnvelope.Kind.TRANSPORT) {
            throw new CardException(CardException.Reason.ENVELOPE_REJECTED,
                    "envelope for sensor " + envelope.sensorId() + " is " + envelope.kind() + ", not TRANSPORT");
        }
        byte[] plain;
        try {
            plain = gcm(Cipher.DECRYPT_MODE, transportKey, envelope.nonce(), envelope.associatedData(),
                    envelope.ciphertext());
        } catch (AEADBadTagException e) {
            throw new CardException(CardException.Reason.ENVELOPE_REJECTED,
                    "transport envelope for sensor " + envelope.sensorId() + " failed authentication under K_trans");
        }
        KeySeed seed;
        try {
            seed = envelope.seedFromPlaintext(plain); // checks the seed version against the header; wipes plain
        } catch (VerificationException e) {
            // it opened, so K_trans is right: say what is wrong with the seed inside (sizes and versions only)
            throw new CardException(CardException.Reason.ENVELOPE_REJECTED, "transport envelope for sensor "
                    + envelope.sensorId() + " opens under the transport key but holds no valid seed: " + e.getMessage());
        }
        try {
            return seal(envelope.sensorId(), envelope.suite(), seed);
        } finally {
            seed.destroy();
        }
    }

    @Override
    public SealedSeed seal(SensorId sensorId, CipherSuite suite, KeySeed seed) {
        checkOpen();
        Objects.requireNonNull(sensorId, "sensorId");
        Objects.requireNonNull(suite, "suite");
        Objects.requireNonNull(seed, "seed");
        int version = currentVersion;
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        byte[] plain = seed.toBytes();
        try {
            byte[] ad = sealAd(sensorId, seed.version(), version, suite, seed.epochYear());
            byte[] ct = gcm(Cipher.ENCRYPT_MODE, storeKeys.get(version), nonce, ad, plain);
            return new SealedSeed(sensorId, seed.version(), version, suite, seed.epochYear(), nonce, ct);
        } catch (AEADBadTagException e) {
            throw new IllegalStateException("encryption cannot fail authentication", e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    @Override
    public KeySeed open(SealedSeed sealed) {
        checkOpen();
        Objects.requireNonNull(sealed, "sealed");
        SecretKey key = storeKeys.get(sealed.keyVersion());
        if (key == null) {
            throw new CardException(CardException.Reason.UNKNOWN_KEY_VERSION, "sealed seed of sensor "
                    + sealed.sensorId() + " needs storage key version " + sealed.keyVersion()
                    + ", card holds " + keyVersions());
        }
        byte[] plain = null;
        try {
            plain = gcm(Cipher.DECRYPT_MODE, key, sealed.nonce(), sealAd(sealed.sensorId(), sealed.seedVersion(),
                    sealed.keyVersion(), sealed.suite(), sealed.epochYear()), sealed.ciphertext());
            KeySeed seed = KeySeed.fromBytes(plain);
            if (seed.version() != sealed.seedVersion() || seed.epochYear() != sealed.epochYear()) {
                seed.destroy();
                throw rejected(sealed, "its content disagrees with its header");
            }
            return seed;
        } catch (AEADBadTagException e) {
            throw rejected(sealed, "it failed authentication");
        } catch (MalformedSeedException e) {
            throw rejected(sealed, "it holds no valid seed");
        } finally {
            if (plain != null) {
                Arrays.fill(plain, (byte) 0);
            }
        }
    }

    private static CardException rejected(SealedSeed sealed, String why) {
        return new CardException(CardException.Reason.RECORD_REJECTED, "sealed seed of sensor " + sealed.sensorId()
                + " (seed version " + sealed.seedVersion() + ", key version " + sealed.keyVersion()
                + ") was refused: " + why + " (altered, copied from another sensor, or relabelled)");
    }

    @Override
    public SealedSeed rewrap(SealedSeed sealed) {
        checkOpen();
        if (sealed.keyVersion() == currentVersion) {
            authenticate(sealed);
            return sealed;
        }
        KeySeed seed = open(sealed);
        try {
            return seal(sealed.sensorId(), sealed.suite(), seed);
        } finally {
            seed.destroy();
        }
    }

    @Override
    public void authenticate(SealedSeed sealed) {
        open(sealed).destroy();
    }

    @Override
    public int currentKeyVersion() {
        return currentVersion;
    }

    @Override
    public SortedSet<Integer> keyVersions() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(storeKeys.keySet()));
    }

    @Override
    public RecordDigest digest(SealedSeed sealed) {
        checkOpen();
        MessageDigest sha256 = sha256();
        sha256.update(sealed.nonce());
        byte[] ctHash = sha256.digest(sealed.ciphertext());
        byte[] header = sealAd(sealed.sensorId(), sealed.seedVersion(), sealed.keyVersion(), sealed.suite(),
                sealed.epochYear());
        ByteBuffer in = ByteBuffer.allocate(DIGEST_LABEL.length + header.length - SEAL_LABEL.length + ctHash.length);
        in.put(DIGEST_LABEL).put(header, SEAL_LABEL.length, header.length - SEAL_LABEL.length).put(ctHash);
        return new RecordDigest(hmac(in.array()));
    }

    @Override
    public void verify(SealedSeed sealed, RecordDigest expected) {
        Objects.requireNonNull(expected, "expected");
        if (!digest(sealed).equals(expected)) {
            throw new CardException(CardException.Reason.DIGEST_MISMATCH, "record of sensor " + sealed.sensorId()
                    + " (seed version " + sealed.seedVersion() + ") does not match its digest");
        }
    }

    @Override
    public void recordStored(SealedSeed record) {
        RecordDigest d = digest(record);
        updateLedger(b -> b.add(record.sensorId(), d), ReferenceLog.entry(record, d, 1));
    }

    @Override
    public CompletionStage<Void> recordStoredAsync(SealedSeed record) {
        try {
            checkOpen();
            RecordDigest d = digest(record);
            return ledger.updateAsync(b -> b.add(record.sensorId(), d), ReferenceLog.entry(record, d, 1));
        } catch (CardException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void recordReplaced(SealedSeed previous, SealedSeed current) {
        RecordDigest old = digest(previous);
        RecordDigest now = digest(current);
        updateLedger(b -> b.remove(previous.sensorId(), old).add(current.sensorId(), now),
                ReferenceLog.entry(previous, old, -1), ReferenceLog.entry(current, now, 1));
    }

    @Override
    public void recordRevoked(SealedSeed record) {
        RecordDigest d = digest(record);
        updateLedger(b -> b.remove(record.sensorId(), d), ReferenceLog.entry(record, d, -1));
    }

    @Override
    public SetDigest setDigest() {
        checkOpen();
        return ledger.setDigest();
    }

    @Override
    public void resetSetDigest(SetDigest accepted) {
        Objects.requireNonNull(accepted, "accepted");
        updateLedger(b -> accepted.toBuilder());
    }

    private void updateLedger(UnaryOperator<SetDigest.Builder> change, byte[]... entries) {
        checkOpen();
        ledger.update(change, entries);
    }

    @Override
    public void resetTo(Iterable<SealedSeed> records) {
        checkOpen();
        SetDigest.Builder digest = new SetDigest.Builder();
        CardReferences.Builder refs = new CardReferences.Builder();
        for (SealedSeed r : records) {
            RecordDigest d = digest(r);
            digest.add(r.sensorId(), d);
            refs.add(r.sensorId(), r.seedVersion(), r.keyVersion(), d, 1);
        }
        ledger.resetTo(digest.build(), refs);
    }

    @Override
    public CardReferences references() {
        checkOpen();
        return ledger.references();
    }

    @Override
    public CardReferences readReferences(Path file) {
        checkOpen();
        return ReferenceLog.read(file, CardStateFile.readExisting(file, this::hmac).references());
    }

    @Override
    public SetDigest readStateFile(Path file) {
        checkOpen();
        return CardStateFile.readExisting(file, this::hmac).digest();
    }

    @Override
    public byte[] mac(SetDigest digest) {
        checkOpen();
        byte[] enc = digest.toBytes();
        byte[] in = Arrays.copyOf(SET_MAC_LABEL, SET_MAC_LABEL.length + enc.length);
        System.arraycopy(enc, 0, in, SET_MAC_LABEL.length, enc.length);
        return hmac(in);
    }

    @Override
    public void verifyMac(SetDigest digest, byte[] mac) {
        if (mac == null || !MessageDigest.isEqual(mac(digest), mac)) {
            throw new CardException(CardException.Reason.DIGEST_MISMATCH, "set digest does not match its MAC");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            ledger.close();
            release();
        }
    }

    /** Frees the keys (wipe, log out). Called once. */
    abstract void release();

    final String describe() {
        return description;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + describe() + ", storage key versions " + storeKeys.keySet()
                + ", current " + currentVersion + (closed ? ", closed" : "") + "]";
    }

    static byte[] sealAd(SensorId sensorId, int seedVersion, int keyVersion, CipherSuite suite, int epochYear) {
        return ByteBuffer.allocate(SEAL_LABEL.length + 8 + 4 + 4 + 1 + 4).put(SEAL_LABEL).putLong(sensorId.value())
                .putInt(seedVersion).putInt(keyVersion).put(suite.code()).putInt(epochYear).array();
    }

    private byte[] gcm(int mode, SecretKey key, byte[] nonce, byte[] ad, byte[] input) throws AEADBadTagException {
        if (nonce == null || nonce.length != NONCE_BYTES) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, "a nonce is " + NONCE_BYTES + " bytes");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
            c.init(mode, key, new GCMParameterSpec(GCM_TAG_BITS, nonce));
            c.updateAAD(ad);
            return c.doFinal(input);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException | RuntimeException e) {
            throw providerFailure("AES-GCM", e);
        }
    }

    private byte[] hmac(byte[] input) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256", provider);
            mac.init(integrityKey);
            return mac.doFinal(input);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw providerFailure("HMAC-SHA-256", e);
        }
    }

    /** A provider failure; after close() it is reported as CLOSED. Provider messages carry no data. */
    private CardException providerFailure(String what, Exception e) {
        if (e instanceof CardException ce) {
            return ce;
        }
        if (closed) {
            return new CardException(CardException.Reason.CLOSED, describe() + " is closed");
        }
        return new CardException(CardException.Reason.IO, what + " failed on " + describe(), e);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    void checkOpen() {
        if (closed) {
            throw new CardException(CardException.Reason.CLOSED, describe() + " is closed");
        }
    }
}
