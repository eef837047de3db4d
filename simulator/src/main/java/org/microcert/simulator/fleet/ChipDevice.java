package org.microcert.simulator.fleet;

import java.time.Instant;
import org.microcert.protocol.SeedExpiredException;
import org.microcert.protocol.SensorChip;
import org.microcert.simulator.traffic.Device;

/** A virtual sensor: the device SDK's {@link SensorChip}, exactly as firmware would use it. */
final class ChipDevice implements Device {

    private final SensorChip chip;
    private final String id;

    ChipDevice(SensorChip chip) {
        this.chip = chip;
        this.id = chip.sensorId().toString();
    }

    SensorChip chip() {
        return chip;
    }

    @Override
    public String sensorId() {
        return id;
    }

    @Override
    public byte[] authenticate(long epochSecond) {
        try {
            return chip.authenticate(Instant.ofEpochSecond(epochSecond)).encode();
        } catch (SeedExpiredException e) {
            throw new IllegalStateException("sensor " + id + ": seed expired", e);
        }
    }

    @Override
    public byte[] sign(long epochSecond, byte[] data) {
        try {
            return chip.sign(data, Instant.ofEpochSecond(epochSecond)).encode();
        } catch (SeedExpiredException e) {
            throw new IllegalStateException("sensor " + id + ": seed expired", e);
        }
    }

    @Override
    public byte[] encrypt(long epochSecond, byte[] plaintext) {
        try {
            return chip.encrypt(plaintext, Instant.ofEpochSecond(epochSecond)).encode();
        } catch (SeedExpiredException e) {
            throw new IllegalStateException("sensor " + id + ": seed expired", e);
        }
    }
}
