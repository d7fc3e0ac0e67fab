package io.cnnpipeline.augment;

import java.util.SplittableRandom;

/** Standard normal draws from a {@link SplittableRandom} (Box–Muller, one value per call, reproducible). */
final class Gaussian {
    private Gaussian() {
    }

    static double next(SplittableRandom rng) {
        double u1 = 1.0 - rng.nextDouble(); // (0, 1]
        double u2 = rng.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
