package io.cnnpipeline.model;

import io.cnnpipeline.evaluation.CropPlan;
import io.cnnpipeline.evaluation.ViewScorer;
import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.image.ImageDecodeException;
import io.cnnpipeline.image.ImageDecoder;
import io.cnnpipeline.core.Json;
import io.cnnpipeline.dataset.Normalizer;
import io.cnnpipeline.core.StageFailedException;
import io.cnnpipeline.image.UInt8Image;
import io.cnnpipeline.training.ModelMeta;
import io.cnnpipeline.training.RunDirectory;
import io.cnnpipeline.training.TrainableNetwork;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A trained network with what it takes to feed it: the DL4J {@code model.zip} (MultiLayerNetwork or
 * ComputationGraph), its {@code model-meta.json} (classes, input geometry, normalization) — for classifying a few
 * images on the driver, e.g. in a notebook. {@link PredictionJob} ({@code cnn-pipeline predict}) is the way to
 * score millions, and the evaluation job the way to measure accuracy on labelled shards.
 *
 * <p>Input images are 8-bit HWC {@link UInt8Image}s of the model's channels (1 luma or 3 RGB). Each is resized so
 * that its short side is {@link #centreScale()} pixels (default: the model's input size) and centre-cropped to the
 * input size (zero-padded when smaller) — or cut into the views of another {@link #withCropMode crop mode} —
 * normalized per channel with the training set's mean and std, and run as an NCHW float32 batch; the outputs are
 * softmax probabilities averaged over the views ({@link ViewScorer}, the code the evaluation and {@code predict}
 * score with: the same numbers for the same geometry).
 *
 * <p>Not thread-safe (one DL4J network); load one per thread.
 */
public final class TrainedModel {
    private final String source;
    private final ModelMeta meta;
    private final TrainableNetwork network;
    private final int centreScale;
    private final CropPlan.Mode cropMode;
    private final List<Integer> scales;

    private TrainedModel(String source, ModelMeta meta, TrainableNetwork network, int centreScale,
                         CropPlan.Mode cropMode, List<Integer> scales) {
        this.source = source;
        this.meta = meta;
        this.network = network;
        this.centreScale = centreScale;
        this.cropMode = cropMode;
        this.scales = List.copyOf(scales);
    }

    /** One class and its probability. */
    public record ClassScore(int index, String name, double probability) {
    }

    /**
     * The prediction for one image.
     *
     * @param top           the k most probable classes, most probable first
     * @param probabilities softmax output for every class, index = class index of {@link #classes()}
     */
    public record Prediction(List<ClassScore> top, double[] probabilities) {
        /** The most probable class. */
        public ClassScore best() {
            return top.get(0);
        }
    }

    /** {@link #load(String, Configuration)} with Hadoop's default configuration (local files, or core-site.xml). */
    public static TrainedModel load(String uri) {
        return load(uri, new Configuration());
    }

    /**
     * Loads a model from a run directory ({@code model.zip}), or from a model zip path/URI (e.g. a run's
     * {@code best-model.zip}), with the {@code model-meta.json} beside it.
     *
     * @throws StageFailedException if there is no model or no {@code model-meta.json} there, or the zip is not a
     *                              readable DL4J model
     */
    public static TrainedModel load(String uri, Configuration hadoop) {
        FileSystem fs = HadoopFiles.fs(uri, hadoop);
        Path path = fs.makeQualified(new Path(uri));
        Path zip = uri.endsWith(".zip") ? path : new Path(path, RunDirectory.MODEL);
        Path metaPath = new Path(zip.getParent(), RunDirectory.MODEL_META);
        if (!HadoopFiles.exists(fs, zip) || !HadoopFiles.exists(fs, metaPath)) {
            throw new StageFailedException("Cannot load a model from " + uri + ": " + zip + " and " + metaPath
                    + " must both exist (a run directory after training, or a model zip beside its model-meta.json)");
        }
        ModelMeta meta = Json.fromBytes(HadoopFiles.read(fs, metaPath), ModelMeta.class);
        return new TrainedModel(zip.toString(), meta, restore(HadoopFiles.read(fs, zip), zip.toString()),
                meta.inputHeight(), CropPlan.Mode.CENTRE, List.of(meta.inputHeight()));
    }

    /**
     * Restores a DL4J model zip (without updater state), or stops with one message naming the file.
     *
     * @throws StageFailedException if the bytes are not a DL4J model zip (truncated, damaged, not a model)
     */
    public static TrainableNetwork restore(byte[] zip, String file) {
        try {
            return TrainableNetwork.restore(zip, false);
        } catch (IOException | RuntimeException e) {
            throw new StageFailedException("Cannot read model " + file + ": it is not a readable DL4J model zip ("
                    + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).lines().findFirst()
                    .orElse("") + "); a truncated copy? Use another of the run's models (last, best, a checkpoint) "
                    + "or train again");
        }
    }

    /** This model resizing images to short side {@code pixels} before the centre crop (≥ the input size). */
    public TrainedModel withCentreScale(int pixels) {
        if (pixels < meta.inputHeight()) {
            throw new IllegalArgumentException("centre scale " + pixels + " is below the input size "
                    + meta.inputHeight());
        }
        return new TrainedModel(source, meta, network, pixels, cropMode, scales);
    }

    /**
     * This model averaging the softmax outputs over the views of {@code mode}, as the evaluation and the
     * {@code predict} job do: the centre crop, the 10-crop (4 corners + centre and their horizontal flips) at the
     * centre scale, or the 10-crop at every short side of {@code scales} (pixels, each ≥ the input size; used by
     * {@link CropPlan.Mode#MULTI_SCALE} only).
     *
     * @throws IllegalArgumentException if a scale is below the input size
     */
    public TrainedModel withCropMode(CropPlan.Mode mode, List<Integer> multiScales) {
        for (int s : multiScales) {
            if (s < meta.inputHeight()) {
                throw new IllegalArgumentException("scale " + s + " is below the input size " + meta.inputHeight());
            }
        }
        return new TrainedModel(source, meta, network, centreScale, mode, multiScales);
    }

    /** The views averaged per image. */
    public CropPlan.Mode cropMode() {
        return cropMode;
    }

    /** URI of the model zip. */
    public String source() {
        return source;
    }

    /** Class names; index = output unit. */
    public List<String> classes() {
        return meta.classes();
    }

    /** Input side in pixels (square inputs). */
    public int inputSize() {
        return meta.inputHeight();
    }

    /** Input channels: 1 (luma) or 3 (RGB). */
    public int channels() {
        return meta.channels();
    }

    /** Short side in pixels images are resized to before the centre crop. */
    public int centreScale() {
        return centreScale;
    }

    /** Network name ({@code train.network}) and everything else in {@code model-meta.json}. */
    public ModelMeta meta() {
        return meta;
    }

    /** Top-5 (or all classes if fewer) prediction for one image. */
    public Prediction predict(UInt8Image image) {
        return predict(List.of(image)).get(0);
    }

    /** Top-5 (or all classes if fewer) predictions, in order. */
    public List<Prediction> predict(List<UInt8Image> images) {
        return predict(images, Math.min(5, classes().size()));
    }

    /**
     * Predictions for a few images, in order, as one forward pass.
     *
     * @param k classes per prediction, 1 ≤ k ≤ classes
     * @throws IllegalArgumentException if an image's channels differ from the model's or k is out of range
     */
    public List<Prediction> predict(List<UInt8Image> images, int k) {
        int classes = classes().size();
        if (k < 1 || k > classes) {
            throw new IllegalArgumentException("k must be in [1, " + classes + "], got " + k);
        }
        if (images.isEmpty()) {
            return List.of();
        }
        int c = channels();
        for (int i = 0; i < images.size(); i++) {
            if (images.get(i).channels() != c) {
                throw new IllegalArgumentException("image " + i + " has " + images.get(i).channels() + " channel(s), "
                        + "the model takes " + c + " (decode with ImageDecoder(" + c + ", ...) or decode(path))");
            }
        }
        ViewScorer scorer = new ViewScorer(new CropPlan(inputSize(), centreScale, scales),
                new Normalizer(meta.mean(), meta.std()), network::output);
        double[][][] scores = scorer.score(images, List.of(cropMode));
        List<Prediction> out = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            double[] p = scores[i][0];
            List<ClassScore> top = IntStream.range(0, classes).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(j -> -p[j]).thenComparingInt(j -> j)).limit(k)
                    .map(j -> new ClassScore(j, classes().get(j), p[j])).toList();
            out.add(new Prediction(top, p));
        }
        return out;
    }

    /**
     * Decodes an image file (JPEG, PNG, GIF, BMP, TIFF, WebP; EXIF orientation applied, alpha composited on white)
     * to the model's channels.
     *
     * @throws ImageDecodeException if the file is not a decodable image
     * @throws java.io.UncheckedIOException if it cannot be read
     */
    public UInt8Image decode(java.nio.file.Path file) throws ImageDecodeException {
        try {
            return new ImageDecoder(channels(), 1L << 28).decode(java.nio.file.Files.readAllBytes(file));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot read " + file, e);
        }
    }

    @Override
    public String toString() {
        return meta.network() + " (" + classes().size() + " classes, " + channels() + "x" + inputSize() + "x"
                + inputSize() + ") from " + source;
    }

    /**
     * A model of a network in memory (e.g. just trained) and its metadata, classifying with the centre crop at the
     * input size; {@link #source()} is {@code "memory"}.
     */
    public static TrainedModel of(TrainableNetwork network, ModelMeta meta) {
        return new TrainedModel("memory", meta, network, meta.inputHeight(), CropPlan.Mode.CENTRE,
                List.of(meta.inputHeight()));
    }

    /** The DL4J network (e.g. for {@link OnnxExporter}); not thread-safe. */
    public TrainableNetwork network() {
        return network;
    }
}
