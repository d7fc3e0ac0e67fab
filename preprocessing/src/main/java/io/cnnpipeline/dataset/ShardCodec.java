package io.cnnpipeline.dataset;

import java.util.Locale;

/** How the {@code image} column of a shard row stores pixels. */
public enum ShardCodec implements io.cnnpipeline.core.config.ConfigEnum {
    /** Lossless PNG of the 8-bit image (grey or RGB). */
    PNG,
    /** Baseline JPEG at the configured quality. */
    JPEG,
    /** The HWC uint8 bytes, uncompressed. */
    RAW;

    /** Lower-case name as stored in the {@code codec} column and in configuration. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException naming the accepted values, for an unknown id
     */
    public static ShardCodec fromId(String id) {
        for (ShardCodec c : values()) {
            if (c.id().equals(id)) {
                return c;
            }
        }
        throw new IllegalArgumentException("Cannot parse codec: expected one of png, jpeg, raw (got " + id + ")");
    }
}
