package org.microcert.persistence.schema;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} options and value-less {@code --flag}s of the command-line tools. */
public final class ToolOptions {

    private ToolOptions() {
    }

    /** True when the operator asked for the usage ({@code --help} anywhere): print it, exit 0. */
    public static boolean wantsHelp(String[] args) {
        return java.util.Arrays.asList(args).contains("--help");
    }

    /**
     * @throws IllegalArgumentException for an unknown option, a missing value or a repeat
     */
    public static Map<String, String> parse(String[] args, Set<String> withValue, Set<String> flags) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (!name.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + name + "'");
            }
            String value;
            if (flags.contains(name)) {
                value = "true";
            } else if (!withValue.contains(name)) {
                throw new IllegalArgumentException("unknown option " + name);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("option " + name + " needs a value");
            }
            if (out.put(name, value) != null) {
                throw new IllegalArgumentException("option " + name + " given twice");
            }
        }
        return out;
    }
}
