package org.microcert.protocol;

/**
 * Where a {@link SensorChip} keeps what must survive a reboot: the platform's persistent storage.
 * The chip calls it after every change a reboot must not undo (a seed made, activated or revoked; a
 * COMMAND or ENC_DOWN accepted) and acts on the change only once the call returned, so a chip that
 * reboots never accepts an inbound certificate twice and never forgets a revocation.
 *
 * <p>Two blobs, as in the C library ({@code mc_platform.persist}): the public state
 * ({@link ChipState}: active seed version, revoked flag, replay memory) and the secret seed (its
 * serialised form, all zeros after a revoke), which belongs in protected storage. Each call replaces
 * the previous blob of its kind and must not return before the bytes are durable; a failure is a
 * {@link ChipStorageException}.
 */
public interface ChipStore {

    /** Replaces the stored public state (the caller wipes nothing: it holds no secret). */
    void saveState(byte[] state);

    /** Replaces the stored seed; the chip wipes {@code seed} after the call. */
    void saveSeed(byte[] seed);

    /** Keeps nothing: a chip on it forgets its replay memory on reboot (tests, simulations). */
    ChipStore NONE = new ChipStore() {
        @Override
        public void saveState(byte[] state) {
        }

        @Override
        public void saveSeed(byte[] seed) {
        }
    };

    /** The platform could not persist a blob: the change that needed it did not take effect. */
    final class ChipStorageException extends RuntimeException {
        public ChipStorageException(String message, Throwable cause) {
            super(message, cause);
        }

        /** {@code e} as a storage failure: itself if it is one, else wrapped (its message may name a path: not kept). */
        static ChipStorageException of(RuntimeException e) {
            return e instanceof ChipStorageException c ? c
                    : new ChipStorageException("the chip's store failed: " + e.getClass().getSimpleName(), e);
        }
    }
}
