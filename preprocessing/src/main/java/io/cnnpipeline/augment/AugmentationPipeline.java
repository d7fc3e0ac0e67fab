package io.cnnpipeline.augment;

import io.cnnpipeline.image.Crops;
import io.cnnpipeline.dataset.DatasetStats;
import io.cnnpipeline.core.RandomStreams;
import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * An ordered composition of {@link Transform}s, each applied with a probability: the online training augmentation
 * that turns a stored image into the network's {@code inputSize}×{@code inputSize} input (normalization to NCHW
 * float32 follows in {@link io.cnnpipeline.dataset.Normalizer}).
 *
 * <p>Randomness: a record's augmentation is drawn from one 64-bit seed, {@link #recordSeed}(root seed, epoch, record
 * key). Step i draws from its own stream derived from (record seed, i): first whether it applies, then its
 * parameters. So the same root seed gives the same augmented images whatever the executors, partitions or threads,
 * and a {@link Sample} replays a record exactly ({@link #apply(UInt8Image, Sample)}).
 *
 * <p>Size: if the image leaving the last step is not {@code inputSize}×{@code inputSize}, it is zero-padded to fit and
 * centre-cropped ({@link Crops#padTo}, {@link Crops#centre}) — the same rule as validation and test crops. A sizing
 * step (a crop) whose output side differs from {@code inputSize} is a configuration error, as is a sizing step with
 * probability below 1.
 *
 * <p>Immutable and executor-safe.
 */
public final class AugmentationPipeline implements Serializable {
    private static final long serialVersionUID = 1L;

    /** One step: a transform and the probability that it applies to a given record, in [0, 1]. */
    public record Step(Transform<?> transform, double probability) implements Serializable {
        public Step {
            if (transform == null) {
                throw new IllegalArgumentException("Cannot configure augmentation: a step has no transform");
            }
            Check.probability(probability, transform.type(), "probability");
        }
    }

    /**
     * The parameters drawn for one record: per step, the transform's parameters, or null where the step did not
     * apply. Serializable, with value equality, printable — enough to replay the record's augmentation.
     */
    public record Sample(List<Serializable> params) implements Serializable {
        public Sample {
            params = Collections.unmodifiableList(new ArrayList<>(params));
        }
    }

    private final int inputSize;
    private final List<Step> steps;

    /**
     * @param inputSize side of the network's square input in pixels
     * @param steps     the transforms in order
     * @throws IllegalArgumentException if {@code inputSize <= 0}, a sizing step does not output {@code inputSize}, or
     *                                  a sizing step is not applied with probability 1
     */
    public AugmentationPipeline(int inputSize, List<Step> steps) {
        Check.that(inputSize > 0, "augmentation", "input size must be positive", inputSize);
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            int side = s.transform().outputSide();
            if (side != 0) {
                Check.that(side == inputSize, "augmentation", "step [" + i + "] (" + s.transform().type()
                        + ") outputs " + side + "x" + side + " but the network input is " + inputSize + "x"
                        + inputSize, side);
                Check.that(s.probability() == 1.0, "augmentation", "step [" + i + "] (" + s.transform().type()
                        + ") sets the image size and must have probability 1", s.probability());
            }
        }
        this.inputSize = inputSize;
        this.steps = List.copyOf(steps);
    }

    /** A pipeline of steps that all apply with probability 1. */
    public static AugmentationPipeline of(int inputSize, Transform<?>... transforms) {
        List<Step> steps = new ArrayList<>();
        for (Transform<?> t : transforms) {
            steps.add(new Step(t, 1.0));
        }
        return new AugmentationPipeline(inputSize, steps);
    }

    /** The network input side in pixels. */
    public int inputSize() {
        return inputSize;
    }

    public List<Step> steps() {
        return steps;
    }

    /**
     * This pipeline with dataset-dependent transforms ({@link PcaLighting}) bound to the training set's statistics.
     *
     * @throws IllegalArgumentException if a transform cannot use these statistics (PCA lighting on a 1-channel set)
     */
    public AugmentationPipeline withStats(DatasetStats stats) {
        List<Step> bound = new ArrayList<>();
        for (Step s : steps) {
            Transform<?> t = s.transform();
            if (t instanceof PcaLighting lighting) {
                if (stats.channels() != 3) {
                    throw new IllegalArgumentException("Cannot configure pca-lighting: the dataset has "
                            + stats.channels() + " channel(s); PCA lighting needs RGB (got channels = "
                            + stats.channels() + ")");
                }
                t = lighting.bind(stats);
            }
            bound.add(new Step(t, s.probability()));
        }
        return new AugmentationPipeline(inputSize, bound);
    }

    /** The seed of a record's augmentation: (root seed, {@link RandomStreams#AUGMENTATION}, epoch, key). */
    public static long recordSeed(long rootSeed, int epoch, String key) {
        return RandomStreams.seedFor(rootSeed, RandomStreams.AUGMENTATION, epoch, key);
    }

    /** The stream of step {@code index} for a record seed. */
    static SplittableRandom stepStream(long recordSeed, int index) {
        return new SplittableRandom(RandomStreams.mix(recordSeed ^ RandomStreams.mix(0xA5A5_0000L + index)));
    }

    /**
     * Draws every step's parameters for an image of the given size and channel count.
     *
     * @throws IllegalArgumentException if a step cannot apply to the image
     */
    public Sample sample(long recordSeed, int width, int height, int channels) {
        List<Serializable> params = new ArrayList<>(steps.size());
        int w = width;
        int h = height;
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            SplittableRandom rng = stepStream(recordSeed, i);
            boolean applies = s.probability() >= 1.0 || rng.nextDouble() < s.probability();
            if (!applies) {
                params.add(null);
                continue;
            }
            params.add(s.transform().sample(rng, w, h, channels));
            if (s.transform().outputSide() > 0) {
                w = s.transform().outputSide();
                h = w;
            }
        }
        return new Sample(params);
    }

    /**
     * Replays a sample: applies each step's parameters in order, then fits the result to the input size.
     *
     * @return an {@code inputSize}×{@code inputSize} image with the input's channel count
     * @throws IllegalArgumentException if the sample has the wrong number of steps or does not fit the image
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public UInt8Image apply(UInt8Image image, Sample sample) {
        if (sample.params().size() != steps.size()) {
            throw new IllegalArgumentException("Cannot replay augmentation: the sample has " + sample.params().size()
                    + " steps, the pipeline " + steps.size());
        }
        UInt8Image out = image;
        for (int i = 0; i < steps.size(); i++) {
            Serializable p = sample.params().get(i);
            if (p == null) {
                continue;
            }
            Transform t = steps.get(i).transform();
            Serializable next = i + 1 < steps.size() ? sample.params().get(i + 1) : null;
            Transform nextT = next != null ? steps.get(i + 1).transform() : null;
            // Fusions that give the same pixels with one pass fewer (tested against applying the steps one by one).
            if (t instanceof Transform.FlipFusable f && nextT instanceof Flip flip && flip.horizontal()) {
                out = f.applyFlipped(out, p);
                i++;
            } else if (t instanceof ColorJitter jitter && nextT instanceof PcaLighting lighting
                    && out.channels() == 3) {
                out = jitter.apply(out, (ColorJitter.Params) p, lighting.luts((PcaLighting.Params) next));
                i++;
            } else {
                out = t.apply(out, p);
            }
        }
        return fitToInput(out, inputSize);
    }

    /** Samples with {@code recordSeed} and applies. */
    public UInt8Image apply(UInt8Image image, long recordSeed) {
        return apply(image, sample(recordSeed, image.width(), image.height(), image.channels()));
    }

    /** Zero-pads and centre-crops to {@code size}×{@code size}; the identity on images of that size. */
    public static UInt8Image fitToInput(UInt8Image image, int size) {
        if (image.width() == size && image.height() == size) {
            return image;
        }
        UInt8Image padded = Crops.padTo(image, size);
        return Crops.apply(padded, Crops.centre(padded.width(), padded.height(), size));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AugmentationPipeline p && inputSize == p.inputSize && steps.equals(p.steps);
    }

    @Override
    public int hashCode() {
        return 31 * inputSize + steps.hashCode();
    }

    @Override
    public String toString() {
        return "AugmentationPipeline[inputSize=" + inputSize + ", steps=" + steps + "]";
    }
}
