package io.cnnpipeline.image;

import io.cnnpipeline.core.RandomStreams;
import io.cnnpipeline.dataset.ShardRecord;
import io.cnnpipeline.dataset.ShardSchema;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * {@code contact-sheet.png}: a grid of thumbnails of a seeded random sample of shard rows, each captioned with its
 * class name — people check a dataset by looking at it. The sample is the {@code count} rows with the smallest
 * hash of (seed, key), so it is the same whatever the partitioning; only the sampled keys, then their thumbnails
 * (at most {@code cell} pixels a side), reach the driver.
 */
public final class ContactSheet {
    /** File name inside the dataset directory. */
    public static final String FILE = "contact-sheet.png";
    static final long PURPOSE = 0x434F4E54L;
    private static final int CAPTION = 14;
    private static final int GAP = 2;

    /** One thumbnail and its caption. */
    record Thumb(String key, String caption, UInt8Image image) implements Serializable {
    }

    private ContactSheet() {
    }

    /**
     * Renders the contact sheet of {@code shards} ({@link ShardSchema} rows) as PNG bytes.
     *
     * @param count   thumbnails, &ge; 1
     * @param columns thumbnails per row
     * @param cell    thumbnail side in pixels (images are scaled to fit, aspect ratio kept)
     * @throws IllegalArgumentException if there are no rows
     */
    public static byte[] render(Dataset<Row> shards, int count, int columns, int cell, long seed) {
        String keyColumn = ShardSchema.KEY.name();
        List<Tuple2<Long, String>> chosen = shards.select(keyColumn).javaRDD()
                .map(r -> new Tuple2<>(RandomStreams.seedFor(seed, PURPOSE, 0, r.getString(0)), r.getString(0)))
                .takeOrdered(count, new ByHash());
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("Cannot draw a contact sheet: no rows");
        }
        Set<String> keys = new HashSet<>();
        for (Tuple2<Long, String> t : chosen) {
            keys.add(t._2());
        }
        List<Thumb> thumbs = new ArrayList<>(shards
                .filter((FilterFunction<Row>) r -> keys.contains(r.<String>getAs(keyColumn)))
                .javaRDD().map(r -> thumb(r, cell)).collect());
        List<String> order = chosen.stream().map(Tuple2::_2).toList();
        thumbs.sort(Comparator.comparingInt(t -> order.indexOf(t.key())));
        return png(thumbs, columns, cell);
    }

    private static Thumb thumb(Row row, int cell) {
        ShardRecord record = ShardRecord.fromRow(row);
        UInt8Image image = record.image();
        double scale = Math.min(1.0, Math.min((double) cell / image.width(), (double) cell / image.height()));
        if (scale < 1.0) {
            image = Resize.to(image, Math.max(1, (int) Math.round(image.width() * scale)),
                    Math.max(1, (int) Math.round(image.height() * scale)));
        }
        return new Thumb(record.key(), row.getAs(ShardSchema.LABEL_NAME.name()), image);
    }

    static byte[] png(List<Thumb> thumbs, int columns, int cell) {
        int cols = Math.min(columns, thumbs.size());
        int rows = (thumbs.size() + cols - 1) / cols;
        int w = GAP + cols * (cell + GAP);
        int h = GAP + rows * (cell + CAPTION + GAP);
        BufferedImage sheet = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        try {
            g.setColor(new Color(40, 40, 40));
            g.fillRect(0, 0, w, h);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            FontMetrics fm = g.getFontMetrics();
            for (int i = 0; i < thumbs.size(); i++) {
                Thumb t = thumbs.get(i);
                int x = GAP + (i % cols) * (cell + GAP);
                int y = GAP + (i / cols) * (cell + CAPTION + GAP);
                UInt8Image img = t.image();
                double scale = Math.min((double) cell / img.width(), (double) cell / img.height());
                int dw = Math.max(1, (int) Math.round(img.width() * scale));
                int dh = Math.max(1, (int) Math.round(img.height() * scale));
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
                        RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
                g.drawImage(ImageEncoder.toBufferedImage(img), x + (cell - dw) / 2, y + (cell - dh) / 2, dw, dh, null);
                String caption = t.caption();
                while (caption.length() > 1 && fm.stringWidth(caption) > cell) {
                    caption = caption.substring(0, caption.length() - 1);
                }
                g.setColor(Color.WHITE);
                g.drawString(caption, x + Math.max(0, (cell - fm.stringWidth(caption)) / 2), y + cell + CAPTION - 3);
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ImageIO.write(sheet, "png", bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Orders sampled (hash, key) pairs by hash, then key; serializable for {@code takeOrdered}. */
    static final class ByHash implements Comparator<Tuple2<Long, String>>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public int compare(Tuple2<Long, String> a, Tuple2<Long, String> b) {
            int c = Long.compare(a._1(), b._1());
            return c != 0 ? c : a._2().compareTo(b._2());
        }
    }
}
