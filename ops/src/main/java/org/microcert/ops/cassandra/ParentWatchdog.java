package org.microcert.ops.cassandra;

import java.lang.reflect.InvocationTargetException;

/**
 * Main class of a Cassandra JVM started for tests: exits when the process that started it dies,
 * even by SIGKILL (when no shutdown hook runs), so a killed test run leaves no Cassandra behind.
 * Then runs {@code CassandraDaemon.main}.
 */
public final class ParentWatchdog {

    static final String PARENT_PID_PROPERTY = "microcert.cassandra.parent-pid";

    private ParentWatchdog() {
    }

    public static void main(String[] args) throws Throwable {
        String parent = System.getProperty(PARENT_PID_PROPERTY);
        if (parent != null) {
            ProcessHandle.of(Long.parseLong(parent)).ifPresentOrElse(
                    p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(3)),
                    () -> Runtime.getRuntime().halt(3));
        }
        try {
            Class.forName("org.apache.cassandra.service.CassandraDaemon")
                    .getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
