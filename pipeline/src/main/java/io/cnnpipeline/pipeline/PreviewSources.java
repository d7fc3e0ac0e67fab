package io.cnnpipeline.pipeline;

import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.dataset.DatasetStats;
import io.cnnpipeline.image.ImageDecodeException;
import io.cnnpipeline.image.ImageDecoder;
import io.cnnpipeline.dataset.PixelMoments;
import io.cnnpipeline.core.RandomStreams;
import io.cnnpipeline.image.Resize;
import io.cnnpipeline.dataset.ShardRecord;
import io.cnnpipeline.dataset.ShardSchema;
import io.cnnpipeline.image.UInt8Image;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Source images for augmentation previews and benchmarks: local image files decoded and resized the way the
 * preprocess stage stores them, or rows of an existing dataset's shards. Driver-only.
 */
public final class PreviewSources {
    /** Sources with the statistics PCA lighting binds to. */
    public record Loaded(List<AugmentationPreview.Source> sources, DatasetStats stats) {
    }

    private PreviewSources() {
    }

    /**
     * Decodes image files (directories are listed, not recursed; files are taken in name order) with
     * {@code channels} channels, resizes each to {@code shortSide} (0 = as decoded), keeps those whose decoded short
     * side is at least {@code minShortSide}, and stops at {@code limit}. Statistics are computed over the kept
     * images (stand-ins for a training set's {@code stats.json}).
     *
     * @throws IllegalArgumentException if no file is a decodable image
     */
    public static Loaded files(List<Path> paths, int channels, int shortSide, int minShortSide, int limit,
                        Set<String> extensions) {
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(f -> Files.isRegularFile(f) && extensions.contains(extension(f)))
                            .sorted(Comparator.comparing(Path::toString)).forEach(files::add);
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot list " + p, e);
                }
            } else {
                files.add(p);
            }
        }
        ImageDecoder decoder = new ImageDecoder(channels, 1L << 28);
        List<AugmentationPreview.Source> sources = new ArrayList<>();
        long[] moments = new long[PixelMoments.length(channels)];
        for (Path f : files) {
            if (sources.size() >= limit) {
                break;
            }
            UInt8Image image;
            try {
                image = decoder.decode(Files.readAllBytes(f));
            } catch (ImageDecodeException | IOException e) {
                continue;
            }
            if (image.shortSide() < minShortSide) {
                continue;
            }
            if (shortSide > 0) {
                image = Resize.shortSide(image, shortSide);
            }
            sources.add(new AugmentationPreview.Source(f.toString(), image));
            moments = PixelMoments.add(moments, PixelMoments.of(image));
        }
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("Cannot preview augmentation: no decodable image with a short side of "
                    + "at least " + minShortSide + " px in " + paths);
        }
        return new Loaded(sources, DatasetStats.fromMoments(moments, channels, sources.size(), Map.of(), Map.of()));
    }

    /** {@code limit} training rows of a dataset, chosen by a seeded hash of their keys, with its statistics. */
    public static Loaded dataset(SparkSession spark, String uri, int limit, long seed) {
        DatasetDirectory dataset = DatasetDirectory.open(uri, spark.sparkContext().hadoopConfiguration());
        List<Row> rows = dataset.shards(spark, ShardSchema.TRAIN).limit(Math.max(limit * 50, 500)).collectAsList();
        List<ShardRecord> records = new ArrayList<>();
        for (Row r : rows) {
            records.add(ShardRecord.fromRow(r));
        }
        records.sort(Comparator.comparingLong(r -> RandomStreams.seedFor(seed, RandomStreams.SHUFFLE, 0, r.key())));
        List<AugmentationPreview.Source> sources = new ArrayList<>();
        for (ShardRecord r : records.subList(0, Math.min(limit, records.size()))) {
            sources.add(new AugmentationPreview.Source(r.key(), r.image()));
        }
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("Cannot preview augmentation: the train split of " + uri + " is empty");
        }
        return new Loaded(sources, dataset.stats());
    }

    private static String extension(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
