package io.cnnpipeline.augment;

import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Radial lens distortion (one-coefficient Brown–Conrady model): the output pixel at normalized offset d from the
 * image centre (r = |d|, normalized by the half-diagonal) reads the source at {@code d·(1 + k·r²)}. k &gt; 0 gives
 * barrel distortion (magnification falls towards the edges), k &lt; 0 pincushion. k ~ U[−strength, strength].
 * Bilinear interpolation, {@link Border} rule outside the source; k = 0 is the identity.
 *
 * @param strength largest |k|, in [0, 1]
 * @param border   what is read outside the image
 * @param fill     the constant for {@link Border#CONSTANT}, 0..255
 */
public record LensDistortion(double strength, Border border, int fill) implements Transform<LensDistortion.Params> {

    /** @param k the radial coefficient */
    public record Params(double k) implements Serializable {
    }

    public LensDistortion {
        Check.that(strength >= 0 && strength <= 1, "lens-distortion", "strength must be in [0, 1]", strength);
        Check.that(border != null, "lens-distortion", "border is required", null);
        Check.that(fill >= 0 && fill <= 255, "lens-distortion", "fill must be in 0..255", fill);
    }

    @Override
    public String type() {
        return "lens-distortion";
    }

    @Override
    public Params sample(SplittableRandom rng, int width, int height, int channels) {
        return new Params((2 * rng.nextDouble() - 1) * strength);
    }

    @Override
    public UInt8Image apply(UInt8Image image, Params p) {
        if (p.k() == 0) {
            return image;
        }
        double cx = image.width() / 2.0;
        double cy = image.height() / 2.0;
        double norm = Math.hypot(cx, cy);
        double k = p.k();
        return Warp.apply(image, (x, y, src) -> {
            double dx = (x - cx) / norm;
            double dy = (y - cy) / norm;
            double g = 1 + k * (dx * dx + dy * dy);
            src[0] = cx + dx * g * norm;
            src[1] = cy + dy * g * norm;
        }, border, fill);
    }
}
