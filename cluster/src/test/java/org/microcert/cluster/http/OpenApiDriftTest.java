package org.microcert.cluster.http;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.http.javadsl.server.directives.MethodDirectives;
import org.apache.pekko.http.javadsl.server.directives.PathDirectives;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.application.AuditedOperations;
import org.microcert.cluster.application.KeyOperations;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.cluster.trail.InMemoryAuditTrail;

/**
 * {@code /openapi.json} cannot drift from the routes. Three independent checks: (1) the route table
 * ({@link Endpoints}, which builds every path and method match) equals the document's operations, and
 * each operation documents every status its handler can answer (derived from the exhaustive status
 * mappings and the directives it uses); (2) no class but {@link Endpoints} matches paths or methods,
 * so a route added beside the table fails here; (3) the live gateway answers every documented
 * operation (never 404 "no such path" nor 405) and refuses every undocumented method on a documented
 * path with 405.
 */
class OpenApiDriftTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> METHODS = List.of("get", "post", "put", "delete", "patch");

    @TempDir
    static Path dir;
    static TestNode node;
    static List<Endpoints.Endpoint> table;
    static JsonNode paths;

    @BeforeAll
    static void start() throws Exception {
        node = new TestNode("OpenApiDriftTest", TestNode.inMemoryJournal(), new TestFleet(dir.resolve("card")).openCard("drift"));
        SensorClient sensors = new SensorClient(node.system(), Duration.ofSeconds(5));
        InMemoryAuditTrail trail = new InMemoryAuditTrail();
        Metrics metrics = Metrics.get(node.system());
        KeyOperations keys = new KeyOperations(sensors, new AuditedOperations(trail, metrics), null, null, 1, 1);
        Readiness up = new Readiness() {
            public boolean clusterUp() {
                return true;
            }

            public String clusterStatus() {
                return "Up";
            }

            public boolean journalUp() {
                return true;
            }

            public int upMembers() {
                return 1;
            }
        };
        table = new GatewayRoutes(sensors, keys, BearerTokens.none(), trail, metrics, up, Duration.ofSeconds(5), Duration.ofMinutes(10)).endpoints();
        paths = JSON.readTree(OpenApi.document()).get("paths");
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    /** method + " " + path of every documented operation, with its documented statuses. */
    private static Map<String, Set<Integer>> documented() {
        Map<String, Set<Integer>> ops = new TreeMap<>();
        paths.fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            if (!METHODS.contains(op.getKey())) {
                return; // e.g. path-level parameters
            }
            Set<Integer> statuses = new TreeSet<>();
            op.getValue().get("responses").fieldNames().forEachRemaining(s -> statuses.add(Integer.parseInt(s)));
            ops.put(op.getKey() + " " + path.getKey(), statuses);
        }));
        return ops;
    }

    @Test
    void theRouteTableAndTheDocumentDescribeTheSameOperationsAndStatuses() {
        Map<String, Set<Integer>> routed = new TreeMap<>();
        table.forEach(e -> routed.put(e.method() + " " + e.template(), new TreeSet<>(e.statuses())));
        Map<String, Set<Integer>> documented = documented();
        assertEquals(routed.keySet(), documented.keySet(), "operations routed vs. documented in /openapi.json");
        List<String> differ = new ArrayList<>();
        routed.forEach((op, statuses) -> {
            if (!statuses.equals(documented.get(op))) {
                differ.add(op + ": answers " + statuses + ", documented " + documented.get(op));
            }
        });
        assertEquals(List.of(), differ, "statuses the routes can answer vs. those documented");
    }

    @Test
    void onlyTheRouteTableMatchesPathsAndMethods() {
        Set<String> matching = Set.of("path", "pathPrefix", "pathPrefixTest", "pathSuffix", "pathSuffixTest", "pathEnd",
                "pathEndOrSingleSlash", "pathSingleSlash", "rawPathPrefix", "rawPathPrefixTest", "redirectToTrailingSlashIfMissing",
                "redirectToNoTrailingSlashIfPresent", "ignoreTrailingSlash", "get", "post", "put", "delete", "patch",
                "head", "options", "method", "extractMethod", "overrideMethodWithParameter");
        DescribedPredicate<JavaCall<?>> routeMatching = DescribedPredicate.describe("match a path or method",
                call -> matching.contains(call.getName()) && !call.getTargetOwner().isEquivalentTo(Endpoints.class)
                        && (call.getTargetOwner().isAssignableTo(PathDirectives.class)
                        || call.getTargetOwner().isAssignableTo(MethodDirectives.class)));
        noClasses().that().resideInAPackage("org.microcert.cluster.http..")
                .and().doNotHaveFullyQualifiedName(Endpoints.class.getName())
                .should().callCodeUnitWhere(routeMatching)
                .because("a route outside the Endpoints table would escape the OpenAPI drift check")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("org.microcert.cluster.http"));
    }

    /** Whether another documented template with {@code method} also matches this path (e.g. GET /v1/sensors/{sensorId} for /v1/sensors/import). */
    private static boolean otherTemplateServes(String path, String method) {
        for (var it = paths.fieldNames(); it.hasNext(); ) {
            String other = it.next();
            if (!other.equals(path) && paths.get(other).has(method)
                    && path.matches(other.replace("{sensorId}", "[^/]+"))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void theGatewayServesEveryDocumentedOperationAndNoOtherMethod() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<String> wrong = new ArrayList<>();
        paths.fieldNames().forEachRemaining(template -> {
            String url = node.url(template.replace("{sensorId}", "0000000000000001"));
            for (String method : METHODS) {
                boolean documented = paths.get(template).has(method);
                try {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url))
                            .method(method.toUpperCase(), HttpRequest.BodyPublishers.noBody())
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                    String error = r.body().startsWith("{") ? String.valueOf(JSON.readTree(r.body()).path("error").asText()) : "";
                    boolean noRoute = r.statusCode() == 405 || (r.statusCode() == 404 && error.equals("NOT_FOUND"));
                    if (documented == noRoute && !(!documented && otherTemplateServes(template, method))) {
                        wrong.add(method + " " + template + " -> " + r.statusCode() + " " + error
                                + (documented ? " (documented, not served)" : " (served, not documented)"));
                    }
                    if (!documented && !otherTemplateServes(template, method) && r.statusCode() != 405) {
                        wrong.add(method + " " + template + " -> " + r.statusCode() + " (expected 405)");
                    }
                } catch (Exception e) {
                    wrong.add(method + " " + template + " -> " + e);
                }
            }
        });
        assertEquals(List.of(), wrong);
        assertTrue(paths.size() >= 17, "the document lists the API's paths");
        assertNotEquals(0, table.size());
    }
}
