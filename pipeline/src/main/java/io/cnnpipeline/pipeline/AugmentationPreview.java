package io.cnnpipeline.pipeline;

import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.image.UInt8Image;
import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.augment.Transform;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Preview grids of the training augmentation, because people check augmentation by looking at it: one row per source
 * image — the source in the first column, then {@code variants} augmented versions (variant v uses the record seed of
 * epoch v, exactly what training draws for that record in that epoch) — one grid for the configured pipeline and one
 * per transform (that transform alone, always applied). Cells are {@code cell}×{@code cell} pixels; images are scaled
 * to fit (nearest neighbour when enlarging, so pixels of small images stay visible). Driver-only.
 */
public final class AugmentationPreview {
    /** A source image and the key its random streams are derived from (path or shard key). */
    public record Source(String key, UInt8Image image) {
    }

    private static final int LABEL_HEIGHT = 16;

    private AugmentationPreview() {
    }

    /**
     * Renders the grids as PNG bytes: {@code "pipeline"} first, then {@code "<step>-<type>"} per step.
     *
     * @param pipeline the configured pipeline (PCA lighting bound to statistics)
     * @param sources  the rows
     * @param variants augmented columns per row, &ge; 1
     * @param seed     root seed
     * @param cell     cell side in pixels
     * @throws IllegalArgumentException if there are no sources or variants
     */
    public static Map<String, byte[]> render(AugmentationPipeline pipeline, List<Source> sources, int variants,
                                             long seed, int cell) {
        if (sources.isEmpty() || variants < 1) {
            throw new IllegalArgumentException("Cannot preview augmentation: need at least one source image and one "
                    + "variant (got " + sources.size() + " sources, " + variants + " variants)");
        }
        Map<String, byte[]> grids = new LinkedHashMap<>();
        grids.put("pipeline", png(grid("pipeline (" + pipeline.steps().size() + " steps, input "
                + pipeline.inputSize() + "x" + pipeline.inputSize() + ")", sources, variants, cell,
                (image, key, v) -> pipeline.apply(image, AugmentationPipeline.recordSeed(seed, v, key)))));
        for (int i = 0; i < pipeline.steps().size(); i++) {
            Transform<?> t = pipeline.steps().get(i).transform();
            AugmentationPipeline alone = new AugmentationPipeline(t.outputSide() > 0 ? t.outputSide()
                    : pipeline.inputSize(), List.of(new AugmentationPipeline.Step(t, 1.0)));
            grids.put(String.format(java.util.Locale.ROOT, "%02d-%s", i + 1, t.type()), png(grid(t.type() + " alone", sources, variants, cell,
                    (image, key, v) -> {
                        AugmentationPipeline.Sample s = alone.sample(AugmentationPipeline.recordSeed(seed, v, key),
                                image.width(), image.height(), image.channels());
                        return applyRaw(t, image, s.params().get(0));
                    })));
        }
        return grids;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static UInt8Image applyRaw(Transform t, UInt8Image image, java.io.Serializable params) {
        return params == null ? image : t.apply(image, params);
    }

    private interface Variant {
        UInt8Image make(UInt8Image image, String key, int variant);
    }

    private static BufferedImage grid(String title, List<Source> sources, int variants, int cell, Variant variant) {
        int pad = 2;
        int width = (variants + 1) * (cell + pad) + pad;
        int height = LABEL_HEIGHT + sources.size() * (cell + pad) + pad;
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(new Color(40, 40, 40));
            g.fillRect(0, 0, width, height);
            g.setColor(Color.WHITE);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.drawString(title + " — column 1: source; columns 2.." + (variants + 1) + ": epochs 1.." + variants,
                    pad + 2, LABEL_HEIGHT - 4);
            for (int r = 0; r < sources.size(); r++) {
                Source s = sources.get(r);
                int y = LABEL_HEIGHT + pad + r * (cell + pad);
                draw(g, s.image(), pad, y, cell);
                for (int v = 1; v <= variants; v++) {
                    draw(g, variant.make(s.image(), s.key(), v), pad + v * (cell + pad), y, cell);
                }
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    private static void draw(Graphics2D g, UInt8Image image, int x, int y, int cell) {
        BufferedImage b = ImageEncoder.toBufferedImage(image);
        double scale = Math.min((double) cell / image.width(), (double) cell / image.height());
        int w = Math.max(1, (int) Math.round(image.width() * scale));
        int h = Math.max(1, (int) Math.round(image.height() * scale));
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, scale >= 1
                ? RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR : RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(b, x + (cell - w) / 2, y + (cell - h) / 2, w, h, null);
    }

    private static byte[] png(BufferedImage image) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", bytes)) {
                throw new IllegalStateException("Cannot write preview: no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
