package org.microcert.protocol;

/**
 * What a CSK key is for. The purpose code is part of the derivation input, so keys for different
 * purposes are independent even when every other input is equal.
 */
public enum KeyPurpose {
    /** K_auth: tags AUTH certificates. */
    AUTH(0x01),
    /** K_sign: tags SIGN certificates. */
    SIGN(0x02),
    /** K_enc for sensor-to-center payloads. */
    ENC_UP(0x03),
    /** K_enc for center-to-sensor payloads. */
    ENC_DOWN(0x04),
    /** K_cmd: tags COMMAND certificates. */
    COMMAND(0x05);

    private final int code;

    KeyPurpose(int code) {
        this.code = code;
    }

    /** The purpose byte in the CSK input. */
    public int code() {
        return code;
    }
}
