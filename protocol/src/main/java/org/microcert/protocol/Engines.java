package org.microcert.protocol;

import java.util.Arrays;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Per-thread, per-suite CMAC and digest instances and scratch buffers, so the verify path allocates
 * no engines. Never shared between threads; callers wipe the scratch buffers that held secrets.
 */
final class Engines {

    private static final ThreadLocal<Engines[]> LOCAL =
            ThreadLocal.withInitial(() -> new Engines[CipherSuite.values().length]);

    final CipherSuite suite;
    final CMac cmac;
    final Digest digest;
    /** CSK input block (holds secret rows while in use). */
    final byte[] cskInput = new byte[CskDerivation.INPUT_LENGTH];
    /** 16-byte key or MAC output scratch. */
    final byte[] key = new byte[16];
    final byte[] mac = new byte[16];
    /** The truncated tag to compare with. */
    final byte[] expectedTag = new byte[CipherSuite.TAG_LENGTH];
    /** MAC input for SIGN: header and digest. */
    final byte[] macInput = new byte[MicroCertificate.HEADER_LENGTH + CipherSuite.DIGEST_LENGTH];
    final int[] permutation = new int[KeySeed.R_ROWS];
    final int[] selected = new int[CskDerivation.SELECTED_ROWS];

    private Engines(CipherSuite suite) {
        this.suite = suite;
        this.cmac = new CMac(suite.newBlockCipher());
        this.digest = suite.newDigest();
    }

    static Engines of(CipherSuite suite) {
        Engines[] all = LOCAL.get();
        Engines e = all[suite.ordinal()];
        if (e == null) {
            e = new Engines(suite);
            all[suite.ordinal()] = e;
        }
        return e;
    }

    /** out[0..16) = CMAC(key, msg[off..off+len)). */
    void cmac(byte[] key, byte[] msg, int off, int len, byte[] out) {
        cmac.init(new KeyParameter(key));
        cmac.update(msg, off, len);
        cmac.doFinal(out, 0);
    }

    /** out[0..16) = CMAC(key = rows[keyOff..keyOff+16), msg[off..off+len)). */
    void cmacKeyedByRow(byte[] rows, int keyOff, byte[] msg, int off, int len, byte[] out) {
        cmac.init(new KeyParameter(rows, keyOff, KeySeed.ROW_BYTES));
        cmac.update(msg, off, len);
        cmac.doFinal(out, 0);
    }

    /** The suite digest of data. */
    byte[] digest(byte[] data) {
        byte[] out = new byte[CipherSuite.DIGEST_LENGTH];
        digest.update(data, 0, data.length);
        digest.doFinal(out, 0);
        return out;
    }

    static void wipe(byte[] a) {
        Arrays.fill(a, (byte) 0);
    }
}
