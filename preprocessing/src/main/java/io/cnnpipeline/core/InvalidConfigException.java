package io.cnnpipeline.core;

/**
 * A configuration value is missing, unknown or out of range. Thrown on the driver while configuration is read and
 * validated, before any Spark job starts; the message names the key: {@code Cannot use <key>: <why> (got <value>)}.
 */
public class InvalidConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String key;

    public InvalidConfigException(String key, String why, Object value) {
        super("Cannot use " + key + ": " + why + (value == null ? "" : " (got " + value + ")"));
        this.key = key;
    }

    /** The configuration key at fault, e.g. {@code train.epochs}. */
    public String key() {
        return key;
    }

    /** Throws unless {@code condition} holds. */
    public static void require(boolean condition, String key, String why, Object value) {
        if (!condition) {
            throw new InvalidConfigException(key, why, value);
        }
    }
}
