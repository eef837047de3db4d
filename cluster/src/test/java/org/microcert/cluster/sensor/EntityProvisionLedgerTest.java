package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.GetStatus;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Provision;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;

/**
 * A provisioning's card-ledger write does not hold the entity, and the answer waits for it: the
 * entity answers other commands while the write is pending, the provisioning only once the card
 * says its files hold the record, and never when that write fails.
 */
class EntityProvisionLedgerTest extends SensorEntityFixture {

    /** The fixture's card, whose recordStoredAsync answers with {@code durable} (the test completes it). */
    static EncryptionCard holdingLedger(CompletableFuture<Void> durable) {
        return (EncryptionCard) Proxy.newProxyInstance(EncryptionCard.class.getClassLoader(),
                new Class<?>[] {EncryptionCard.class}, (proxy, method, args) -> {
                    if (method.getName().equals("recordStoredAsync")) {
                        return durable;
                    }
                    try {
                        return method.invoke(card, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /**
     * Spawns sensor {@code id} on a card whose ledger answers with {@code durable}, asks it to provision
     * (answer to {@code provisioned}), then its status: answered after the provisioning's event
     * (commands are handled in order), while the provisioning's ledger write is still pending.
     */
    Done provisionPending(long id, CompletableFuture<Void> durable, TestProbe<OperatorReply> provisioned) {
        SensorId sensor = new SensorId(id);
        SensorChip c = TestFleet.chip(id, START);
        ActorRef<Command> entity = testKit.spawn(SensorEntities.create(sensor, PersistenceId.of("Sensor", sensor.toString()),
                holdingLedger(durable), settings(true)));
        entity.tell(new Provision(fleet.transportEnvelope(c), "olga", provisioned.ref()));
        TestProbe<OperatorReply> status = testKit.createTestProbe();
        entity.tell(new GetStatus(status.ref()));
        return assertInstanceOf(Done.class, status.receiveMessage());
    }

    @Test
    void theAnswerWaitsForTheLedgerWhileTheEntityGoesOn() {
        CompletableFuture<Void> durable = new CompletableFuture<>();
        TestProbe<OperatorReply> provisioned = testKit.createTestProbe();
        assertEquals("ACTIVE", provisionPending(0x5EED01L, durable, provisioned).status().status());
        provisioned.expectNoMessage(Duration.ofMillis(300));
        durable.complete(null);
        assertEquals("ACTIVE", assertInstanceOf(Done.class, provisioned.receiveMessage()).status().status());
    }

    @Test
    void aFailedLedgerWriteIsNeverAcknowledged() {
        CompletableFuture<Void> durable = new CompletableFuture<>();
        TestProbe<OperatorReply> provisioned = testKit.createTestProbe();
        assertEquals("ACTIVE", provisionPending(0x5EED02L, durable, provisioned).status().status());
        durable.completeExceptionally(new CardException(CardException.Reason.IO, "disk full"));
        provisioned.expectNoMessage(Duration.ofMillis(500));
    }
}
