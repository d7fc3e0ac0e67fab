package io.cnnpipeline.augment;

import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Random affine warp about the image centre — translation, rotation, zoom, stretching (anisotropic scale) and
 * shearing, the "random mixes" of the CS231n practice (as torchvision's {@code RandomAffine}). The forward map is
 * {@code T(centre + t) · R(θ) · Sh(φ) · S(s·√a, s/√a) · T(−centre)}; pixels are resampled by inverse mapping with
 * bilinear interpolation ({@link Warp}) and the {@link Border} rule outside the source. Output keeps the input size.
 * Zero ranges disable a component; all-zero parameters give the identity.
 *
 * <p>Sampling: tx ~ U[−translate·W, translate·W] (ty likewise with H), θ ~ U[−rotate, rotate] degrees,
 * s ~ U[scaleMin, scaleMax], log a ~ U[−log(1 + stretch), log(1 + stretch)], φ ~ U[−shear, shear] degrees.
 *
 * @param translate largest shift as a fraction of the width / height, in [0, 1]
 * @param rotate    largest rotation in degrees, &ge; 0
 * @param scaleMin  smallest isotropic zoom factor, &gt; 0
 * @param scaleMax  largest zoom factor, &ge; scaleMin
 * @param stretch   largest anisotropy: the aspect factor a lies in [1/(1 + stretch), 1 + stretch]
 * @param shear     largest horizontal shear angle in degrees, in [0, 90)
 * @param border    what is read outside the image
 * @param fill      the constant for {@link Border#CONSTANT}, 0..255
 */
public record Affine(double translate, double rotate, double scaleMin, double scaleMax, double stretch, double shear,
                     Border border, int fill) implements Transform<Affine.Params> {

    /**
     * @param tx      shift right in pixels
     * @param ty      shift down in pixels
     * @param angle   rotation in degrees, clockwise on screen (y down)
     * @param scaleX  horizontal scale factor
     * @param scaleY  vertical scale factor
     * @param shear   horizontal shear angle in degrees
     */
    public record Params(double tx, double ty, double angle, double scaleX, double scaleY, double shear)
            implements Serializable {
        public static final Params IDENTITY = new Params(0, 0, 0, 1, 1, 0);
    }

    public Affine {
        Check.that(translate >= 0 && translate <= 1, "affine", "translate must be in [0, 1]", translate);
        Check.that(rotate >= 0 && Double.isFinite(rotate), "affine", "rotate must be >= 0 degrees", rotate);
        Check.that(scaleMin > 0 && scaleMin <= scaleMax && Double.isFinite(scaleMax), "affine",
                "scale range must satisfy 0 < min <= max", "[" + scaleMin + ", " + scaleMax + "]");
        Check.that(stretch >= 0 && Double.isFinite(stretch), "affine", "stretch must be >= 0", stretch);
        Check.that(shear >= 0 && shear < 90, "affine", "shear must be in [0, 90) degrees", shear);
        Check.that(border != null, "affine", "border is required", null);
        Check.that(fill >= 0 && fill <= 255, "affine", "fill must be in 0..255", fill);
    }

    @Override
    public String type() {
        return "affine";
    }

    @Override
    public Params sample(SplittableRandom rng, int width, int height, int channels) {
        double tx = (2 * rng.nextDouble() - 1) * translate * width;
        double ty = (2 * rng.nextDouble() - 1) * translate * height;
        double angle = (2 * rng.nextDouble() - 1) * rotate;
        double s = scaleMin + (scaleMax - scaleMin) * rng.nextDouble();
        double logA = (2 * rng.nextDouble() - 1) * Math.log1p(stretch);
        double a = Math.sqrt(Math.exp(logA));
        double sh = (2 * rng.nextDouble() - 1) * shear;
        return new Params(tx, ty, angle, s * a, s / a, sh);
    }

    /**
     * The forward 2×3 matrix {@code {a, b, c, d, e, f}}: x' = a·x + b·y + c, y' = d·x + e·y + f, in pixel coordinates
     * of a {@code width}×{@code height} image.
     */
    public static double[] forward(Params p, int width, int height) {
        double cx = width / 2.0;
        double cy = height / 2.0;
        double t = Math.toRadians(p.angle());
        double cos = Math.cos(t);
        double sin = Math.sin(t);
        double k = Math.tan(Math.toRadians(p.shear()));
        // L = R · Sh · S, Sh = [[1, k], [0, 1]], S = diag(sx, sy)
        double a = cos * p.scaleX();
        double b = (cos * k - sin) * p.scaleY();
        double d = sin * p.scaleX();
        double e = (sin * k + cos) * p.scaleY();
        double c = cx + p.tx() - (a * cx + b * cy);
        double f = cy + p.ty() - (d * cx + e * cy);
        return new double[] {a, b, c, d, e, f};
    }

    @Override
    public UInt8Image apply(UInt8Image image, Params p) {
        if (p.equals(Params.IDENTITY)) {
            return image;
        }
        double[] m = forward(p, image.width(), image.height());
        double det = m[0] * m[4] - m[1] * m[3];
        if (!(Math.abs(det) > 1e-12)) {
            throw new IllegalArgumentException("Cannot apply affine: the matrix is singular (got " + p + ")");
        }
        double ia = m[4] / det;
        double ib = -m[1] / det;
        double id = -m[3] / det;
        double ie = m[0] / det;
        double c = m[2];
        double f = m[5];
        return Warp.apply(image, (x, y, src) -> {
            double u = x - c;
            double v = y - f;
            src[0] = ia * u + ib * v;
            src[1] = id * u + ie * v;
        }, border, fill);
    }
}
