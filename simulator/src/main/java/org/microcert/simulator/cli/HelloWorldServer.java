package org.microcert.simulator.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark's baseline: a Pekko HTTP server with default settings that answers every request
 * with a constant accepted verdict after reading its body. It does no work at all, so the
 * simulator's authenticate rate against a MicroCert node divided by its rate against this server
 * says what share of the HTTP stack's capacity the real work leaves. Run it in its own JVM, like a node.
 */
@Command(name = "hello-server", mixinStandardHelpOptions = true,
        description = {"Serves a Pekko HTTP hello-world endpoint (the benchmark baseline) until stopped.",
                "Every path answers 200 {\"outcome\":\"ACCEPTED\"}, so the simulator can drive it exactly like a gateway."})
public final class HelloWorldServer extends AllDirectives implements Callable<Integer> {

    private static final byte[] ANSWER = "{\"outcome\":\"ACCEPTED\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    @Option(names = "--port", defaultValue = "8099", description = "TCP port on 127.0.0.1 (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to bind (default: ${DEFAULT-VALUE})")
    String host;

    Route route() {
        // reads the body like a gateway route does (Unmarshaller to bytes), then answers a constant
        return entity(Unmarshaller.entityToByteString(),
                body -> complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, ANSWER))));
    }

    @Override
    public Integer call() throws Exception {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "hello");
        CountDownLatch stopped = new CountDownLatch(1);
        Http.get(system).newServerAt(host, port).bind(route()).toCompletableFuture().get();
        System.out.println("hello-world baseline listening on http://" + host + ":" + port);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            system.terminate();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
