package io.cnnpipeline.preprocessing;

/**
 * Separable resampling of {@link UInt8Image}s. Downscaling along an axis uses an area (box) filter: each output pixel
 * is the overlap-weighted mean of the input pixels it covers, so high frequencies are averaged away instead of aliased
 * (the behaviour of OpenCV's {@code INTER_AREA} and PIL's {@code BOX}). Upscaling uses bilinear interpolation with
 * pixel centres aligned ({@code (i + 0.5) * scale - 0.5}) and edge pixels repeated. Results are rounded to nearest.
 * Stateless and executor-safe.
 */
public final class Resize {
    private Resize() {
    }

    /**
     * Resizes so that the short side equals {@code shortSide} pixels, keeping the aspect ratio (the long side is
     * rounded to nearest). Returns the input itself when its short side already equals {@code shortSide}.
     *
     * @throws IllegalArgumentException if {@code shortSide <= 0}
     */
    public static UInt8Image shortSide(UInt8Image image, int shortSide) {
        if (shortSide <= 0) {
            throw new IllegalArgumentException("Cannot resize: short side must be positive (got " + shortSide + ")");
        }
        int w = image.width();
        int h = image.height();
        if (Math.min(w, h) == shortSide) {
            return image;
        }
        int[] size = shortSideSize(w, h, shortSide);
        return to(image, size[0], size[1]);
    }

    /**
     * The {width, height} that {@link #shortSide(UInt8Image, int)} produces for a {@code width}×{@code height} input:
     * the short side becomes {@code shortSide}, the long side scales with it, rounded to nearest.
     */
    public static int[] shortSideSize(int width, int height, int shortSide) {
        if (width <= height) {
            return new int[] {shortSide, Math.max(1, (int) Math.round((double) height * shortSide / width))};
        }
        return new int[] {Math.max(1, (int) Math.round((double) width * shortSide / height)), shortSide};
    }

    /**
     * Resizes to exactly {@code width} × {@code height} pixels.
     *
     * @throws IllegalArgumentException on a non-positive size
     */
    public static UInt8Image to(UInt8Image image, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("Cannot resize: size must be positive (got " + width + "x" + height + ")");
        }
        if (width == image.width() && height == image.height()) {
            return image;
        }
        int c = image.channels();
        int iw = image.width();
        int ih = image.height();
        byte[] src = image.pixels();
        // Horizontal pass: ih rows of width `width`, float.
        Kernel kx = Kernel.of(iw, width);
        float[] tmp = new float[ih * width * c];
        for (int y = 0; y < ih; y++) {
            int rowIn = y * iw * c;
            int rowOut = y * width * c;
            for (int x = 0; x < width; x++) {
                int start = kx.start[x];
                float[] wts = kx.weights[x];
                for (int ch = 0; ch < c; ch++) {
                    float acc = 0f;
                    for (int k = 0; k < wts.length; k++) {
                        acc += wts[k] * (src[rowIn + (start + k) * c + ch] & 0xFF);
                    }
                    tmp[rowOut + x * c + ch] = acc;
                }
            }
        }
        // Vertical pass.
        Kernel ky = Kernel.of(ih, height);
        byte[] out = new byte[width * height * c];
        int stride = width * c;
        for (int y = 0; y < height; y++) {
            int start = ky.start[y];
            float[] wts = ky.weights[y];
            int rowOut = y * stride;
            for (int i = 0; i < stride; i++) {
                float acc = 0f;
                for (int k = 0; k < wts.length; k++) {
                    acc += wts[k] * tmp[(start + k) * stride + i];
                }
                int v = Math.round(acc);
                out[rowOut + i] = (byte) (v < 0 ? 0 : (v > 255 ? 255 : v));
            }
        }
        return new UInt8Image(width, height, c, out);
    }

    /** Per output index: first input index and normalized weights. */
    private static final class Kernel {
        final int[] start;
        final float[][] weights;

        private Kernel(int n) {
            start = new int[n];
            weights = new float[n][];
        }

        static Kernel of(int in, int out) {
            Kernel k = new Kernel(out);
            double scale = (double) in / out;
            for (int i = 0; i < out; i++) {
                if (scale >= 1.0) {
                    // Area: output pixel i covers [i*scale, (i+1)*scale) of the input.
                    double lo = i * scale;
                    double hi = Math.min(in, (i + 1) * scale);
                    int first = (int) Math.floor(lo);
                    int last = Math.min(in - 1, (int) Math.ceil(hi) - 1);
                    float[] w = new float[last - first + 1];
                    double sum = 0;
                    for (int j = first; j <= last; j++) {
                        double overlap = Math.min(hi, j + 1) - Math.max(lo, j);
                        w[j - first] = (float) Math.max(0, overlap);
                        sum += w[j - first];
                    }
                    for (int j = 0; j < w.length; j++) {
                        w[j] /= (float) sum;
                    }
                    k.start[i] = first;
                    k.weights[i] = w;
                } else {
                    // Bilinear with aligned centres.
                    double centre = (i + 0.5) * scale - 0.5;
                    int j0 = (int) Math.floor(centre);
                    double frac = centre - j0;
                    int a = Math.max(0, Math.min(in - 1, j0));
                    int b = Math.max(0, Math.min(in - 1, j0 + 1));
                    if (a == b) {
                        k.start[i] = a;
                        k.weights[i] = new float[] {1f};
                    } else {
                        k.start[i] = a;
                        k.weights[i] = new float[] {(float) (1 - frac), (float) frac};
                    }
                }
            }
            return k;
        }
    }
}
