package org.microcert.cluster.sensor;

/** What a {@link SensorEntity} tells its node about its life (see {@link RecoveryGate}). Called in the entity. */
interface RecoveryListener {

    RecoveryListener NONE = new RecoveryListener() {
        @Override
        public void recovered(boolean provisioned) {}

        @Override
        public void provisioned() {}

        @Override
        public void stopped() {}
    };

    /** The recovery completed; {@code provisioned}: the journal holds the sensor. */
    void recovered(boolean provisioned);

    /** The sensor was just provisioned (its event is durable). */
    void provisioned();

    /** The entity stopped, recovered or not. */
    void stopped();
}
