package io.cnnpipeline.augment;

import java.util.Locale;

/**
 * What geometric warps ({@link Affine}, {@link LensDistortion}) read outside the source image: a constant fill value,
 * the nearest edge pixel ({@code replicate}, OpenCV's BORDER_REPLICATE), or the mirror image without repeating the
 * edge pixel ({@code reflect}, OpenCV's BORDER_REFLECT_101).
 */
public enum Border {
    CONSTANT, REPLICATE, REFLECT;

    /** The configuration name: constant, replicate or reflect. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException on an unknown name
     */
    public static Border fromId(String id) {
        for (Border b : values()) {
            if (b.id().equals(id)) {
                return b;
            }
        }
        throw new IllegalArgumentException("Cannot configure border: must be constant, replicate or reflect (got "
                + id + ")");
    }

    /** Maps an out-of-range index into 0..n-1 (REPLICATE, REFLECT); CONSTANT returns -1 for outside. */
    int index(int i, int n) {
        if (i >= 0 && i < n) {
            return i;
        }
        switch (this) {
            case REPLICATE:
                return i < 0 ? 0 : n - 1;
            case REFLECT:
                if (n == 1) {
                    return 0;
                }
                int period = 2 * (n - 1);
                int m = Math.floorMod(i, period);
                return m < n ? m : period - m;
            default:
                return -1;
        }
    }
}
