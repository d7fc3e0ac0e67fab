package io.cnnpipeline.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.image.UInt8Image;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NormalizerAndStatsTest {
    @Test
    void normalizerWritesChwWithMeanAndStd() {
        UInt8Image image = new UInt8Image(2, 1, 3, new byte[] {0, (byte) 255, 51, (byte) 255, 0, 102});
        Normalizer n = new Normalizer(new double[] {0.5, 0.5, 0.2}, new double[] {0.5, 0.25, 0.1});
        float[] out = new float[1 + 6];
        n.writeChw(image, out, 1);
        // channel 0: pixels 0, 255; channel 1: 255, 0; channel 2: 51, 102
        assertEquals(-1f, out[1], 1e-6);
        assertEquals(1f, out[2], 1e-6);
        assertEquals(2f, out[3], 1e-6);
        assertEquals(-2f, out[4], 1e-6);
        assertEquals(0f, out[5], 1e-5);
        assertEquals(2f, out[6], 1e-5);
        assertThrows(IllegalArgumentException.class, () -> n.writeChw(UInt8Image.zeros(2, 2, 1), out, 0));
    }

    @Test
    void statisticsFromMomentsMatchADirectComputation() {
        UInt8Image a = TestImages.pattern(0, 16, 3, 1);
        UInt8Image b = TestImages.pattern(2, 16, 3, 2);
        long[] m = PixelMoments.add(PixelMoments.of(a), PixelMoments.of(b));
        DatasetStats s = DatasetStats.fromMoments(m, 3, 2, Map.of(), Map.of());
        double[] mean = new double[3];
        double[][] cov = new double[3][3];
        int n = 2 * 16 * 16;
        for (UInt8Image img : new UInt8Image[] {a, b}) {
            for (int i = 0; i < 256; i++) {
                for (int c = 0; c < 3; c++) {
                    mean[c] += (img.pixels()[i * 3 + c] & 0xFF) / 255.0 / n;
                }
            }
        }
        for (UInt8Image img : new UInt8Image[] {a, b}) {
            for (int i = 0; i < 256; i++) {
                for (int c = 0; c < 3; c++) {
                    for (int d = 0; d < 3; d++) {
                        cov[c][d] += ((img.pixels()[i * 3 + c] & 0xFF) / 255.0 - mean[c])
                                * ((img.pixels()[i * 3 + d] & 0xFF) / 255.0 - mean[d]) / n;
                    }
                }
            }
        }
        for (int c = 0; c < 3; c++) {
            assertEquals(mean[c], s.mean()[c], 1e-12);
            assertEquals(Math.sqrt(cov[c][c]), s.std()[c], 1e-9);
            for (int d = 0; d < 3; d++) {
                assertEquals(cov[c][d], s.covariance()[c][d], 1e-9);
            }
        }
        // Eigen decomposition: C p = λ p, eigenvalues descending, unit vectors.
        for (int k = 0; k < 3; k++) {
            double[] p = s.eigenvectors()[k];
            assertEquals(1.0, p[0] * p[0] + p[1] * p[1] + p[2] * p[2], 1e-9);
            for (int c = 0; c < 3; c++) {
                double cp = cov[c][0] * p[0] + cov[c][1] * p[1] + cov[c][2] * p[2];
                assertEquals(s.eigenvalues()[k] * p[c], cp, 1e-9);
            }
        }
        assertEquals(true, s.eigenvalues()[0] >= s.eigenvalues()[1] && s.eigenvalues()[1] >= s.eigenvalues()[2]);
    }
}
