package org.microcert.cluster.http;

import java.time.Duration;

/** The gateway's input limits (docs/http-api.md), read by the routes and the OpenAPI document alike. */
final class ApiLimits {

    static final long AUTH_LIMIT = 4 * 1024;
    static final long PAYLOAD_LIMIT = 1024 * 1024;
    static final long BATCH_LIMIT = 256 * 1024;
    /** SIGN and ENC_UP batches carry data and ciphertexts: four single payloads' worth. */
    static final long PAYLOAD_BATCH_LIMIT = 4 * PAYLOAD_LIMIT;
    static final long OPERATOR_LIMIT = 128 * 1024;
    static final int MAX_BATCH = 1000;
    static final Duration BODY_TIMEOUT = Duration.ofSeconds(10);

    private ApiLimits() {}
}
