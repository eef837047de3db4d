package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.node.NodeConfig;

/**
 * The gateway binds exactly the interface it is told, on real sockets: loopback by default, also when
 * {@code --hostname} names a public address of this machine; that address only when
 * {@code --http-interface} names it.
 */
class HttpBindingTest {

    @Test
    void theDefaultIsLoopbackAndHostnameDoesNotChangeIt() throws Exception {
        String external = nonLoopbackAddress();
        Config config = NodeConfig.load(new String[] {"--hostname", external, "--http-port", "0"}, Map.of());
        assertEquals("127.0.0.1", config.getString("microcert.http.interface"));
        withGateway(config, port -> {
            assertEquals("HTTP/1.1 200 OK", statusLine("127.0.0.1", port));
            assertThrows(ConnectException.class, () -> statusLine(external, port),
                    "a gateway bound to loopback answered on " + external);
        });
    }

    @Test
    void theInterfaceSettingIsBoundExactly() throws Exception {
        String external = nonLoopbackAddress();
        Config config = NodeConfig.load(new String[] {"--http-interface", external, "--http-port", "0"}, Map.of());
        withGateway(config, port -> {
            assertEquals("HTTP/1.1 200 OK", statusLine(external, port));
            assertThrows(ConnectException.class, () -> statusLine("127.0.0.1", port),
                    "a gateway bound to " + external + " answered on loopback");
        });
    }

    /** An IPv4 address of an interface of this machine that is up and not loopback. */
    static String nonLoopbackAddress() throws IOException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                        return a.getHostAddress();
                    }
                }
            }
        }
        assumeTrue(false, "this machine has no non-loopback IPv4 address to test the binding against");
        throw new AssertionError("unreachable");
    }

    interface PortCheck {
        void check(int port) throws Exception;
    }

    /** Binds a one-route gateway with {@code config}'s microcert.http, runs {@code check} on its port. */
    static void withGateway(Config config, PortCheck check) throws Exception {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "HttpBindingTest",
                ConfigFactory.parseString("pekko.actor.provider = local\npekko.coordinated-shutdown.exit-jvm = off").withFallback(config));
        try {
            AllDirectives d = new AllDirectives() {};
            ServerBinding binding = HttpServer.start(system, d.complete("up"), config.getConfig("microcert.http"),
                    Optional.empty()).toCompletableFuture().get(30, TimeUnit.SECONDS);
            check.check(binding.localAddress().getPort());
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** The status line of a GET / over a raw socket. */
    static String statusLine(String host, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5_000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c >= 0 && c != '\r'; c = in.read()) {
                line.append((char) c);
            }
            return line.toString();
        }
    }
}
