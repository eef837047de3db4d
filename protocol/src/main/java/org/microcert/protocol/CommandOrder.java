package org.microcert.protocol;

/**
 * An order from the center to a sensor, carried in the body of a COMMAND certificate as
 * {@code op (1 byte) | argument (u32, big-endian)}.
 */
public sealed interface CommandOrder {

    /** Length of the encoded order in a COMMAND certificate's body. */
    int BODY_LENGTH = 5;

    /** The op byte. */
    int op();

    /** The u32 argument: a seed version (always >= 1). */
    int argument();

    /**
     * Make a new seed with version {@code newSeedVersion} (the current version + 1) and send it back
     * in an UPDATE envelope (op 0x01).
     */
    record SeedUpdate(int newSeedVersion) implements CommandOrder {
        public SeedUpdate {
            KeySeed.checkVersion(newSeedVersion);
        }

        @Override
        public int op() {
            return 0x01;
        }

        @Override
        public int argument() {
            return newSeedVersion;
        }
    }

    /** Destroy seed version {@code seedVersion} (the current one) and stop working (op 0x02). */
    record Revoke(int seedVersion) implements CommandOrder {
        public Revoke {
            KeySeed.checkVersion(seedVersion);
        }

        @Override
        public int op() {
            return 0x02;
        }

        @Override
        public int argument() {
            return seedVersion;
        }
    }

    /** The wire form. */
    default byte[] toBytes() {
        byte[] out = new byte[BODY_LENGTH];
        out[0] = (byte) op();
        Bytes.putInt(out, 1, argument());
        return out;
    }

    /** Decodes a body strictly. */
    static CommandOrder fromBytes(byte[] body) throws MalformedCertificateException {
        if (body.length != BODY_LENGTH) {
            throw new MalformedCertificateException(Defect.BAD_LENGTH,
                    "command body must be " + BODY_LENGTH + " bytes, got " + body.length);
        }
        int arg = Bytes.getInt(body, 1);
        if (arg < 1) {
            throw new MalformedCertificateException(Defect.BAD_FIELD,
                    "command seed version must be >= 1, got " + Integer.toUnsignedString(arg));
        }
        return switch (body[0]) {
            case 0x01 -> new SeedUpdate(arg);
            case 0x02 -> new Revoke(arg);
            default -> throw new MalformedCertificateException(Defect.UNKNOWN_COMMAND,
                    "unknown command op 0x" + Integer.toHexString(body[0] & 0xff));
        };
    }
}
