package org.microcert.cluster.application;

/** Who asks for a key operation: an authenticated operator's name and role, as the audit trail records them. */
public record Operator(String name, String role) {}
