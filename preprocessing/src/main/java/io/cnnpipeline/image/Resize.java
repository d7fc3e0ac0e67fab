package io.cnnpipeline.image;

/**
 * Separable resampling of {@link UInt8Image}s. Downscaling along an axis uses an area (box) filter: each output pixel
 * is the overlap-weighted mean of the input pixels it covers, so high frequencies are averaged away instead of aliased
 * (the behaviour of OpenCV's {@code INTER_AREA} and PIL's {@code BOX}). Upscaling uses bilinear interpolation with
 * pixel centres aligned ({@code (i + 0.5) * scale - 0.5}) and edge pixels repeated. Results are rounded half up.
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
        return resizedCrop(image, width, height, new CropBox(0, 0, width, height, false));
    }

    /**
     * Equals {@code Crops.apply(Resize.to(image, scaledWidth, scaledHeight), box)} pixel for pixel, but resamples only
     * the pixels inside the box: the kernels are the full resize's kernels at the box's output indices, so training's
     * random scale + crop and evaluation's resize-then-crop views produce identical pixels for the same geometry.
     *
     * @param scaledWidth  width of the (virtual) resized image in pixels
     * @param scaledHeight height of the (virtual) resized image in pixels
     * @param box          crop in the resized image's coordinates; {@link CropBox#flip()} mirrors the result
     * @throws IllegalArgumentException if the box does not lie inside the resized image
     */
    public static UInt8Image resizedCrop(UInt8Image image, int scaledWidth, int scaledHeight, CropBox box) {
        if (scaledWidth <= 0 || scaledHeight <= 0 || !box.fitsIn(scaledWidth, scaledHeight)) {
            throw new IllegalArgumentException("Cannot resize and crop: " + box + " does not lie inside "
                    + scaledWidth + "x" + scaledHeight);
        }
        if (scaledWidth == image.width() && scaledHeight == image.height()) {
            return Crops.apply(image, box);
        }
        Kernel kx = Kernel.of(image.width(), (double) image.width() / scaledWidth, box.x(), box.width());
        Kernel ky = Kernel.of(image.height(), (double) image.height() / scaledHeight, box.y(), box.height());
        return resample(image, kx, ky, box.flip());
    }

    /**
     * Resamples the source rectangle ({@code x}, {@code y}, {@code width}, {@code height}) — in source pixels,
     * inside the image — to {@code outWidth} × {@code outHeight}: Inception-style random-resized-crop. Same kernels
     * as {@link #to}: area when shrinking an axis, bilinear when enlarging it. {@code flip} mirrors the output
     * left-right.
     *
     * @throws IllegalArgumentException if the rectangle is empty or leaves the image, or the output size is not positive
     */
    public static UInt8Image region(UInt8Image image, int x, int y, int width, int height, int outWidth,
                                    int outHeight, boolean flip) {
        if (width <= 0 || height <= 0 || x < 0 || y < 0 || x + width > image.width() || y + height > image.height()
                || outWidth <= 0 || outHeight <= 0) {
            throw new IllegalArgumentException("Cannot resample region " + width + "x" + height + "+" + x + "+" + y
                    + " of a " + image.width() + "x" + image.height() + " image to " + outWidth + "x" + outHeight);
        }
        double sx = (double) width / outWidth;
        double sy = (double) height / outHeight;
        Kernel kx = Kernel.of(image.width(), sx, x / sx, outWidth);
        Kernel ky = Kernel.of(image.height(), sy, y / sy, outHeight);
        return resample(image, kx, ky, flip);
    }

    /** Per-thread buffer for the horizontal pass (never escapes {@link #resample}; not reentrant per thread). */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private static float[] scratch(int size) {
        float[] b = SCRATCH.get();
        if (b.length < size) {
            b = new float[size];
            SCRATCH.set(b);
        }
        return b;
    }

    /**
     * Separable resampling with precomputed kernels, one output row at a time: the input rows the vertical kernel
     * reads are filtered horizontally into a ring of {@code taps} float rows (each input row once), then combined
     * vertically into the output row. The working set is a few rows, so it stays in the L1/L2 cache instead of
     * streaming a whole intermediate image through memory (which measured ~2x slower). Every output value
     * accumulates its taps in ascending order, whatever the padding of the kernels. Each pass and kernel width is its
     * own small method, so that the JIT compiles every loop on its own.
     */
    private static UInt8Image resample(UInt8Image image, Kernel kx, Kernel ky, boolean flip) {
        int c = image.channels();
        int width = kx.start.length;
        int height = ky.start.length;
        int stride = width * c;
        int taps = ky.taps;
        float[] ring = scratch(taps * stride);
        int[] ringRow = new int[taps];
        java.util.Arrays.fill(ringRow, -1);
        int[] offsets = new int[taps];
        byte[] src = image.pixels();
        int rowBytes = image.width() * c;
        byte[] out = new byte[width * height * c];
        float[] acc = taps > 3 ? new float[stride] : null;
        for (int y = 0; y < height; y++) {
            int first = ky.start[y];
            for (int k = 0; k < taps; k++) {
                int row = first + k;
                int slot = row % taps;
                offsets[k] = slot * stride;
                if (ringRow[slot] != row) {
                    ringRow[slot] = row;
                    horizontal(src, row * rowBytes, ring, offsets[k], kx, width, c, flip);
                }
            }
            int rowOut = y * stride;
            if (taps == 1) {
                vertical1(ring, offsets[0], ky.weights[y], out, rowOut, stride);
            } else if (taps == 2) {
                vertical2(ring, offsets[0], offsets[1], ky.weights[2 * y], ky.weights[2 * y + 1], out, rowOut,
                        stride);
            } else if (taps == 3) {
                vertical3(ring, offsets[0], offsets[1], offsets[2], ky.weights[3 * y], ky.weights[3 * y + 1],
                        ky.weights[3 * y + 2], out, rowOut, stride);
            } else {
                vertical(ring, offsets, ky.weights, y * taps, acc, out, rowOut, stride);
            }
        }
        return new UInt8Image(width, height, c, out);
    }

    private static void horizontal(byte[] src, int rowIn, float[] tmp, int rowOut, Kernel kx, int width, int c,
                                   boolean flip) {
        if (c == 3 && kx.taps == 2) {
            horizontal3x2(src, rowIn, tmp, rowOut, kx, width, flip);
        } else if (c == 3 && kx.taps == 3) {
            horizontal3x3(src, rowIn, tmp, rowOut, kx, width, flip);
        } else if (c == 3) {
            horizontal3(src, rowIn, tmp, rowOut, kx, width, flip);
        } else {
            horizontalAny(src, rowIn, tmp, rowOut, kx, width, c, flip);
        }
    }

    private static void horizontal3x2(byte[] src, int rowIn, float[] tmp, int rowOut, Kernel kx, int width,
                                      boolean flip) {
        float[] wx = kx.weights;
        int[] start = kx.start;
        for (int x = 0; x < width; x++) {
            int s = rowIn + start[x] * 3;
            float w0 = wx[2 * x];
            float w1 = wx[2 * x + 1];
            int o = rowOut + (flip ? width - 1 - x : x) * 3;
            tmp[o] = (0f + w0 * (src[s] & 0xFF)) + w1 * (src[s + 3] & 0xFF);
            tmp[o + 1] = (0f + w0 * (src[s + 1] & 0xFF)) + w1 * (src[s + 4] & 0xFF);
            tmp[o + 2] = (0f + w0 * (src[s + 2] & 0xFF)) + w1 * (src[s + 5] & 0xFF);
        }
    }

    private static void horizontal3x3(byte[] src, int rowIn, float[] tmp, int rowOut, Kernel kx, int width,
                                      boolean flip) {
        float[] wx = kx.weights;
        int[] start = kx.start;
        for (int x = 0; x < width; x++) {
            int s = rowIn + start[x] * 3;
            float w0 = wx[3 * x];
            float w1 = wx[3 * x + 1];
            float w2 = wx[3 * x + 2];
            int o = rowOut + (flip ? width - 1 - x : x) * 3;
            tmp[o] = ((0f + w0 * (src[s] & 0xFF)) + w1 * (src[s + 3] & 0xFF)) + w2 * (src[s + 6] & 0xFF);
            tmp[o + 1] = ((0f + w0 * (src[s + 1] & 0xFF)) + w1 * (src[s + 4] & 0xFF)) + w2 * (src[s + 7] & 0xFF);
            tmp[o + 2] = ((0f + w0 * (src[s + 2] & 0xFF)) + w1 * (src[s + 5] & 0xFF)) + w2 * (src[s + 8] & 0xFF);
        }
    }

    private static void horizontal3(byte[] src, int rowIn, float[] tmp, int rowOut, Kernel kx, int width,
                                    boolean flip) {
        float[] wx = kx.weights;
        int tx = kx.taps;
        for (int x = 0; x < width; x++) {
            int s = rowIn + kx.start[x] * 3;
            int wo = x * tx;
            float r = 0f;
            float g = 0f;
            float b = 0f;
            for (int k = 0; k < tx; k++) {
                float w = wx[wo + k];
                int q = s + 3 * k;
                r += w * (src[q] & 0xFF);
                g += w * (src[q + 1] & 0xFF);
                b += w * (src[q + 2] & 0xFF);
            }
            int o = rowOut + (flip ? width - 1 - x : x) * 3;
            tmp[o] = r;
            tmp[o + 1] = g;
            tmp[o + 2] = b;
        }
    }

    private static void horizontalAny(byte[] src, int rowIn, float[] tmp, int rowOut, Kernel kx, int width, int c,
                                      boolean flip) {
        float[] wx = kx.weights;
        int tx = kx.taps;
        for (int x = 0; x < width; x++) {
            int s = rowIn + kx.start[x] * c;
            int wo = x * tx;
            int o = rowOut + (flip ? width - 1 - x : x) * c;
            for (int ch = 0; ch < c; ch++) {
                float acc = 0f;
                for (int k = 0; k < tx; k++) {
                    acc += wx[wo + k] * (src[s + k * c + ch] & 0xFF);
                }
                tmp[o + ch] = acc;
            }
        }
    }

    private static void vertical1(float[] tmp, int r0, float w0, byte[] out, int rowOut, int n) {
        for (int i = 0; i < n; i++) {
            // Weights and values are non-negative, so truncating v + 0.5 rounds half up.
            int v = (int) ((0f + w0 * tmp[r0 + i]) + 0.5f);
            out[rowOut + i] = (byte) Math.min(v, 255);
        }
    }

    private static void vertical2(float[] ring, int r0, int r1, float w0, float w1, byte[] out, int rowOut, int n) {
        for (int i = 0; i < n; i++) {
            int v = (int) ((0f + w0 * ring[r0 + i]) + w1 * ring[r1 + i] + 0.5f);
            out[rowOut + i] = (byte) Math.min(v, 255);
        }
    }

    private static void vertical3(float[] ring, int r0, int r1, int r2, float w0, float w1, float w2, byte[] out,
                                  int rowOut, int n) {
        for (int i = 0; i < n; i++) {
            int v = (int) (((0f + w0 * ring[r0 + i]) + w1 * ring[r1 + i]) + w2 * ring[r2 + i] + 0.5f);
            out[rowOut + i] = (byte) Math.min(v, 255);
        }
    }

    private static void vertical(float[] ring, int[] offsets, float[] weights, int w, float[] acc, byte[] out,
                                 int rowOut, int n) {
        java.util.Arrays.fill(acc, 0, n, 0f);
        for (int k = 0; k < offsets.length; k++) {
            float wk = weights[w + k];
            int row = offsets[k];
            for (int i = 0; i < n; i++) {
                acc[i] += wk * ring[row + i];
            }
        }
        for (int i = 0; i < n; i++) {
            int v = (int) (acc[i] + 0.5f);
            out[rowOut + i] = (byte) Math.min(v, 255);
        }
    }

    /**
     * Per output index: first input index and {@code taps} normalized weights ({@code weights[i * taps + k]}); shorter
     * kernels are zero-padded (at the front when they sit at the end of the axis), so every read is inside the axis.
     */
    private static final class Kernel {
        final int[] start;
        final float[] weights;
        final int taps;

        private Kernel(int[] start, float[] weights, int taps) {
            this.start = start;
            this.weights = weights;
            this.taps = taps;
        }

        /**
         * Kernels for {@code n} outputs at virtual output indices {@code offset + i} of a resampling by
         * {@code scale} input pixels per output pixel, over an input axis of {@code in} pixels.
         */
        static Kernel of(int in, double scale, double offset, int n) {
            int[] first = new int[n];
            float[][] w = new float[n][];
            int taps = 1;
            for (int i = 0; i < n; i++) {
                double u = offset + i;
                if (scale >= 1.0) {
                    // Area: output pixel u covers [u*scale, (u+1)*scale) of the input.
                    double lo = u * scale;
                    double hi = Math.min(in, (u + 1) * scale);
                    int f = Math.min(in - 1, (int) Math.floor(lo));
                    int last = Math.max(f, Math.min(in - 1, (int) Math.ceil(hi) - 1));
                    float[] ws = new float[last - f + 1];
                    double sum = 0;
                    for (int j = f; j <= last; j++) {
                        double overlap = Math.min(hi, j + 1) - Math.max(lo, j);
                        ws[j - f] = (float) Math.max(0, overlap);
                        sum += ws[j - f];
                    }
                    if (sum <= 0) {
                        ws = new float[] {1f};
                        sum = 1;
                    }
                    for (int j = 0; j < ws.length; j++) {
                        ws[j] /= (float) sum;
                    }
                    first[i] = f;
                    w[i] = ws;
                } else {
                    // Bilinear with aligned centres.
                    double centre = (u + 0.5) * scale - 0.5;
                    int j0 = (int) Math.floor(centre);
                    double frac = centre - j0;
                    int a = Math.max(0, Math.min(in - 1, j0));
                    int b = Math.max(0, Math.min(in - 1, j0 + 1));
                    first[i] = a;
                    w[i] = a == b ? new float[] {1f} : new float[] {(float) (1 - frac), (float) frac};
                }
                taps = Math.max(taps, w[i].length);
            }
            int[] start = new int[n];
            float[] weights = new float[n * taps];
            for (int i = 0; i < n; i++) {
                int shift = Math.max(0, first[i] + taps - in);
                start[i] = first[i] - shift;
                System.arraycopy(w[i], 0, weights, i * taps + shift, w[i].length);
            }
            return new Kernel(start, weights, taps);
        }
    }
}
