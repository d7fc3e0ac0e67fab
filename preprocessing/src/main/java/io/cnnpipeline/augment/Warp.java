package io.cnnpipeline.augment;

import io.cnnpipeline.image.UInt8Image;

/**
 * Inverse-mapping warp with bilinear interpolation: each output pixel centre (x + 0.5, y + 0.5) is mapped to a
 * source position, whose value is interpolated from the four nearest source pixel centres; positions outside the
 * image follow the {@link Border} rule. Output has the input's size. No antialiasing: warps that shrink strongly alias
 * (keep zoom-out moderate).
 */
final class Warp {
    /** Maps an output position (pixel coordinates, centres at +0.5) to a source position, written to {@code src}. */
    interface InverseMap {
        void map(double x, double y, double[] src);
    }

    private Warp() {
    }

    static UInt8Image apply(UInt8Image image, InverseMap inverse, Border border, int fill) {
        int w = image.width();
        int h = image.height();
        int c = image.channels();
        byte[] in = image.pixels();
        byte[] out = new byte[in.length];
        double[] s = new double[2];
        int o = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                inverse.map(x + 0.5, y + 0.5, s);
                double sx = s[0] - 0.5;
                double sy = s[1] - 0.5;
                int x0 = (int) Math.floor(sx);
                int y0 = (int) Math.floor(sy);
                float fx = (float) (sx - x0);
                float fy = (float) (sy - y0);
                if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
                    // all four neighbours inside: no border rule
                    int p00 = (y0 * w + x0) * c;
                    int p01 = p00 + w * c;
                    for (int ch = 0; ch < c; ch++) {
                        float v00 = in[p00 + ch] & 0xFF;
                        float v10 = in[p00 + c + ch] & 0xFF;
                        float v01 = in[p01 + ch] & 0xFF;
                        float v11 = in[p01 + c + ch] & 0xFF;
                        float top = v00 + fx * (v10 - v00);
                        float bottom = v01 + fx * (v11 - v01);
                        out[o++] = ColorJitter.clamp(top + fy * (bottom - top));
                    }
                    continue;
                }
                int xa = border.index(x0, w);
                int xb = border.index(x0 + 1, w);
                int ya = border.index(y0, h);
                int yb = border.index(y0 + 1, h);
                for (int ch = 0; ch < c; ch++) {
                    float v00 = sample(in, xa, ya, w, c, ch, fill);
                    float v10 = sample(in, xb, ya, w, c, ch, fill);
                    float v01 = sample(in, xa, yb, w, c, ch, fill);
                    float v11 = sample(in, xb, yb, w, c, ch, fill);
                    float top = v00 + fx * (v10 - v00);
                    float bottom = v01 + fx * (v11 - v01);
                    out[o++] = ColorJitter.clamp(top + fy * (bottom - top));
                }
            }
        }
        return new UInt8Image(w, h, c, out);
    }

    private static float sample(byte[] in, int x, int y, int w, int c, int ch, int fill) {
        if (x < 0 || y < 0) {
            return fill;
        }
        return in[(y * w + x) * c + ch] & 0xFF;
    }
}
