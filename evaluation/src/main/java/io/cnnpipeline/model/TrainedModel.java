package io.cnnpipeline.model;

import io.cnnpipeline.evaluation.CropPlan;
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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A trained network with what it takes to feed it: the DL4J {@code model.zip} (MultiLayerNetwork or
 * ComputationGraph), its {@code model-meta.json} (classes, input geometry, normalization) — for classifying a few
 * images on the driver, e.g. in a notebook. The evaluation job is the way to score millions.
 *
 * <p>Input images are 8-bit HWC {@link UInt8Image}s of the model's channels (1 luma or 3 RGB). Each is resized so
 * that its short side is {@link #centreScale()} pixels (default: the model's input size) and centre-cropped to the
 * input size (zero-padded when smaller), normalized per channel with the training set's mean and std, and run as an
 * NCHW float32 batch; the outputs are softmax probabilities. The same geometry as the evaluation's centre crop when
 * {@code evaluate.centre-scale} equals {@link #centreScale()}.
 *
 * <p>Not thread-safe (one DL4J network); load one per thread.
 */
public final class TrainedModel {
    private final String source;
    private final ModelMeta meta;
    private final TrainableNetwork network;
    private final int centreScale;

    private TrainedModel(String source, ModelMeta meta, TrainableNetwork network, int centreScale) {
        this.source = source;
        this.meta = meta;
        this.network = network;
        this.centreScale = centreScale;
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
     * @throws StageFailedException if there is no model or no {@code model-meta.json} there
     * @throws IllegalStateException if the zip is not a DL4J model
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
        try {
            return new TrainedModel(zip.toString(), meta, TrainableNetwork.restore(HadoopFiles.read(fs, zip), false),
                    meta.inputHeight());
        } catch (IOException e) {
            throw new IllegalStateException("Cannot restore " + zip + ": " + e.getMessage(), e);
        }
    }

    /** This model resizing images to short side {@code pixels} before the centre crop (≥ the input size). */
    public TrainedModel withCentreScale(int pixels) {
        if (pixels < meta.inputHeight()) {
            throw new IllegalArgumentException("centre scale " + pixels + " is below the input size "
                    + meta.inputHeight());
        }
        return new TrainedModel(source, meta, network, pixels);
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
        int size = inputSize();
        int c = channels();
        int chw = c * size * size;
        CropPlan plan = new CropPlan(size, centreScale, List.of(size));
        Normalizer normalizer = new Normalizer(meta.mean(), meta.std());
        float[] features = new float[images.size() * chw];
        for (int i = 0; i < images.size(); i++) {
            UInt8Image image = images.get(i);
            if (image.channels() != c) {
                throw new IllegalArgumentException("image " + i + " has " + image.channels() + " channel(s), the model "
                        + "takes " + c + " (decode with ImageDecoder(" + c + ", ...) or decode(path))");
            }
            normalizer.writeChw(plan.views(image).get(plan.range(CropPlan.Mode.CENTRE)[0]), features, i * chw);
        }
        INDArray input = Nd4j.create(features, new long[] {images.size(), c, size, size}, 'c');
        float[] probs = network.output(input).castTo(DataType.FLOAT).dup('c').data().asFloat();
        List<Prediction> out = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            double[] p = new double[classes];
            for (int j = 0; j < classes; j++) {
                p[j] = probs[i * classes + j];
            }
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
}
