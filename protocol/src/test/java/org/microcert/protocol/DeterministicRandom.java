package org.microcert.protocol;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.bouncycastle.crypto.digests.SHA256Digest;

/**
 * A reproducible byte stream for test vectors only: block i is SHA-256(label || u32 i). Never use
 * it for real keys; it exists so that the vector files can be regenerated bit for bit.
 */
final class DeterministicRandom extends SecureRandom {

    private final byte[] label;
    private final byte[] block = new byte[32];
    private int counter;
    private int used = block.length;

    DeterministicRandom(String label) {
        this.label = label.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void nextBytes(byte[] out) {
        for (int i = 0; i < out.length; i++) {
            if (used == block.length) {
                SHA256Digest d = new SHA256Digest();
                d.update(label, 0, label.length);
                byte[] c = new byte[4];
                Bytes.putInt(c, 0, counter++);
                d.update(c, 0, 4);
                d.doFinal(block, 0);
                used = 0;
            }
            out[i] = block[used++];
        }
    }

    @Override
    public long nextLong() {
        byte[] b = new byte[8];
        nextBytes(b);
        return Bytes.getLong(b, 0);
    }

    @Override
    public int nextInt() {
        byte[] b = new byte[4];
        nextBytes(b);
        return Bytes.getInt(b, 0);
    }
}
