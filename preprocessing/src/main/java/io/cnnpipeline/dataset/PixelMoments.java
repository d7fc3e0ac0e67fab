package io.cnnpipeline.dataset;

import io.cnnpipeline.image.UInt8Image;

/**
 * Exact integer pixel moments of one image or a sum of images, the raw material of {@link DatasetStats}. Layout of
 * the {@code long[]}: {@code [pixelCount, sum_0 .. sum_{C-1}, sumProduct_{00}, sumProduct_{01}, ..., sumProduct_{C-1,C-1}]}
 * over 8-bit values. Integer sums make the statistics independent of partitioning and summation order.
 */
public final class PixelMoments {
    private PixelMoments() {
    }

    /** Length of the moment vector for {@code channels} channels. */
    public static int length(int channels) {
        return 1 + channels + channels * channels;
    }

    /** Moments of one image. */
    public static long[] of(UInt8Image image) {
        int c = image.channels();
        long[] m = new long[length(c)];
        byte[] px = image.pixels();
        int n = image.width() * image.height();
        m[0] = n;
        if (c == 1) {
            long s = 0;
            long ss = 0;
            for (int i = 0; i < n; i++) {
                int v = px[i] & 0xFF;
                s += v;
                ss += v * v;
            }
            m[1] = s;
            m[2] = ss;
            return m;
        }
        int[] v = new int[c];
        for (int i = 0; i < n; i++) {
            for (int a = 0; a < c; a++) {
                v[a] = px[i * c + a] & 0xFF;
                m[1 + a] += v[a];
            }
            for (int a = 0; a < c; a++) {
                for (int b = 0; b < c; b++) {
                    m[1 + c + a * c + b] += v[a] * v[b];
                }
            }
        }
        return m;
    }

    /** Adds {@code b} into {@code a} and returns {@code a}. */
    public static long[] add(long[] a, long[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("Cannot add moments of different channel counts (" + a.length + " vs "
                    + b.length + ")");
        }
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.addExact(a[i], b[i]);
        }
        return a;
    }
}
