package io.cnnpipeline.core;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Derives every random stream of the project from the one configured root seed and the coordinates of the work:
 * (seed, purpose, epoch, record key). Nothing depends on partitions, executors or threads, so the same seed gives the
 * same augmentation and the same split assignment whatever the cluster. Mixing uses SplitMix64's finalizer; keys are
 * hashed with 64-bit FNV-1a over their UTF-8 bytes.
 */
public final class RandomStreams {
    /** Purposes, so that streams for different uses never coincide. */
    public static final long AUGMENTATION = 0x41554755L;
    public static final long SPLIT = 0x53504C54L;
    public static final long SHUFFLE = 0x53485546L;
    /** The ND4J generator of a training task (dropout), keyed by averaging round and partition. */
    public static final long DROPOUT = 0x44524F50L;
    /** A hyperparameter search's sampled trials, keyed by trial number and config key. */
    public static final long SEARCH = 0x53524348L;

    private RandomStreams() {
    }

    /** A fresh generator for (seed, purpose, epoch, key). */
    public static SplittableRandom forRecord(long seed, long purpose, long epoch, String key) {
        return new SplittableRandom(seedFor(seed, purpose, epoch, key));
    }

    /** The 64-bit seed for (seed, purpose, epoch, key). */
    public static long seedFor(long seed, long purpose, long epoch, String key) {
        long h = mix(seed);
        h = mix(h ^ mix(purpose + 0x9E3779B97F4A7C15L));
        h = mix(h ^ mix(epoch + 0x632BE59BD9B4E019L));
        return mix(h ^ fnv1a64(key));
    }

    /** A uniform number in [0, 1) determined by (seed, purpose, key) — used for hash-based split assignment. */
    public static double unitInterval(long seed, long purpose, String key) {
        return (seedFor(seed, purpose, 0, key) >>> 11) * 0x1.0p-53;
    }

    /** SplitMix64 finalizer. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** 64-bit FNV-1a of the UTF-8 bytes of {@code s}. */
    public static long fnv1a64(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xFF);
            h *= 0x100000001B3L;
        }
        return h;
    }
}
