package org.microcert.simulator.traffic;

/**
 * What the traffic generator needs from one virtual sensor: its id and certificates made at a given
 * time (an explicit time, so a skewed clock is just another argument). Implementations are
 * thread-safe.
 */
public interface Device {

    /** The sensor id in its 16-hex-digit text form. */
    String sensorId();

    /** An AUTH micro-certificate. */
    byte[] authenticate(long epochSecond);

    /** A SIGN micro-certificate over {@code data}. */
    byte[] sign(long epochSecond, byte[] data);

    /** An ENC_UP certificate: {@code plaintext} encrypted to the center, the ciphertext in its body. */
    byte[] encrypt(long epochSecond, byte[] plaintext);
}
