/**
 * The MicroCert protocol: what a sensor's secure chip and the center both run. Plain Java 17 and
 * Bouncy Castle, no I/O, no clocks (every time-dependent call takes {@code Instant now}).
 *
 * <h2>Where to start</h2>
 * <ul>
 *   <li>Device side: {@link org.microcert.protocol.SensorChip} (the reference for firmware ports).</li>
 *   <li>Center side: {@link org.microcert.protocol.CertificateVerifier} (AUTH, SIGN, ENC_UP),
 *       {@link org.microcert.protocol.CenterIssuer} (COMMAND, ENC_DOWN),
 *       {@link org.microcert.protocol.SeedEnvelope#openTransport} and
 *       {@link org.microcert.protocol.SeedUpdates#open} (seeds arriving from sensors).</li>
 *   <li>Values and codecs: {@link org.microcert.protocol.KeySeed},
 *       {@link org.microcert.protocol.MicroCertificate}, {@link org.microcert.protocol.SeedEnvelope},
 *       {@link org.microcert.protocol.CskDerivation}.</li>
 * </ul>
 *
 * <h2>Guarantees</h2>
 * Decoders are strict and throw a typed {@link org.microcert.protocol.MalformedInputException}
 * naming the defect; verification throws {@link org.microcert.protocol.VerificationException}
 * with a {@link org.microcert.protocol.RejectReason}; tag comparisons are constant-time; no
 * secret appears in a message or {@code toString}. Unchecked exceptions mean programming errors
 * (null arguments, a destroyed seed, a revoked chip asked to authenticate).
 *
 * <p>Threading: {@code CertificateVerifier}, {@code CenterIssuer} and the static functions are
 * thread-safe (they keep per-thread Bouncy Castle engines); {@code SensorChip} is synchronized.
 *
 * <p>The byte-level specification, the security argument and the test vectors are described in
 * {@code docs/protocol.md}.
 */
package org.microcert.protocol;
