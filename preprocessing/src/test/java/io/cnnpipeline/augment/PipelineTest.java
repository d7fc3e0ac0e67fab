package io.cnnpipeline.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.image.ImageDecoder;
import io.cnnpipeline.image.Resize;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.image.UInt8Image;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Composition, probabilities, per-step streams and replay. */
class PipelineTest {
    private static final double[] EIGENVALUES = {0.05, 0.01, 0.002};
    private static final double[][] EIGENVECTORS = {{0.58, 0.58, 0.57}, {-0.7, 0.0, 0.7}, {0.41, -0.82, 0.41}};

    static AugmentationPipeline imagenet() {
        return new AugmentationPipeline(64, List.of(
                new AugmentationPipeline.Step(new ScaleCrop(72, 128, 64), 1),
                new AugmentationPipeline.Step(new Flip(true), 0.5),
                new AugmentationPipeline.Step(new ColorJitter(0.4, 0.4, 0.4), 1),
                new AugmentationPipeline.Step(new PcaLighting(0.1, EIGENVALUES, EIGENVECTORS), 1),
                new AugmentationPipeline.Step(new RandomErasing(0.02, 0.4, 0.3, 3.3, true, 0), 0.5)));
    }

    @Test
    void sameSeedSameImageDifferentEpochDifferentImage() throws Exception {
        UInt8Image photo = new ImageDecoder(3, 1L << 26).decode(Files.readAllBytes(TestImages.huginPhotos().get(20)));
        AugmentationPipeline p = imagenet();
        long seed = AugmentationPipeline.recordSeed(42, 1, "train/cat/1.jpg");
        UInt8Image a = p.apply(photo, seed);
        assertEquals(64, a.width());
        assertEquals(64, a.height());
        assertEquals(a, p.apply(photo, seed));
        assertEquals(a, roundTrip(p).apply(photo, seed), "a serialized copy (an executor's) draws the same");
        assertNotEquals(a, p.apply(photo, AugmentationPipeline.recordSeed(42, 2, "train/cat/1.jpg")));
        assertNotEquals(a, p.apply(photo, AugmentationPipeline.recordSeed(43, 1, "train/cat/1.jpg")));
        assertNotEquals(a, p.apply(photo, AugmentationPipeline.recordSeed(42, 1, "train/cat/2.jpg")));
    }

    @Test
    void aSampleReplaysTheAugmentationExactly() throws Exception {
        UInt8Image photo = new ImageDecoder(3, 1L << 26).decode(Files.readAllBytes(TestImages.huginPhotos().get(21)));
        AugmentationPipeline p = imagenet();
        for (long seed = 0; seed < 20; seed++) {
            AugmentationPipeline.Sample sample = p.sample(seed, photo.width(), photo.height(), 3);
            assertEquals(sample, roundTrip(sample), "samples survive serialization with equality");
            assertEquals(p.apply(photo, seed), p.apply(photo, roundTrip(sample)));
        }
    }

    @Test
    void fusedStepsGiveTheSamePixelsAsStepByStep() throws Exception {
        UInt8Image photo = new ImageDecoder(3, 1L << 26).decode(Files.readAllBytes(TestImages.huginPhotos().get(22)));
        List<AugmentationPipeline> pipelines = List.of(imagenet(),
                new AugmentationPipeline(64, List.of(
                        new AugmentationPipeline.Step(new RandomResizedCrop(64, 0.08, 1, 0.75, 4.0 / 3), 1),
                        new AugmentationPipeline.Step(new Flip(true), 0.5),
                        new AugmentationPipeline.Step(new ColorJitter(0.4, 0.4, 0), 1),
                        new AugmentationPipeline.Step(new PcaLighting(0.5, EIGENVALUES, EIGENVECTORS), 1))),
                new AugmentationPipeline(64, List.of(
                        new AugmentationPipeline.Step(new PadCrop(6, 64), 1),
                        new AugmentationPipeline.Step(new Flip(true), 0.5))));
        UInt8Image small = Resize.to(photo, 64, 64);
        for (AugmentationPipeline p : pipelines) {
            int fusedFlips = 0;
            for (long seed = 0; seed < 40; seed++) {
                UInt8Image in = p.steps().get(0).transform() instanceof PadCrop ? small : photo;
                AugmentationPipeline.Sample s = p.sample(seed, in.width(), in.height(), 3);
                fusedFlips += s.params().get(1) != null ? 1 : 0;
                assertEquals(stepByStep(p, in, s), p.apply(in, s), "seed " + seed + " " + s);
            }
            assertTrue(fusedFlips > 5, "the flip was drawn (and fused) in some samples");
        }
    }

    @Test
    void eachStepDrawsFromItsOwnStream() {
        AugmentationPipeline p = imagenet();
        List<AugmentationPipeline.Step> more = new ArrayList<>(p.steps());
        more.add(new AugmentationPipeline.Step(new Affine(0.1, 10, 1, 1, 0, 0, Border.CONSTANT, 0), 1));
        AugmentationPipeline longer = new AugmentationPipeline(64, more);
        for (long seed = 0; seed < 50; seed++) {
            AugmentationPipeline.Sample a = p.sample(seed, 300, 200, 3);
            AugmentationPipeline.Sample b = longer.sample(seed, 300, 200, 3);
            assertEquals(a.params(), b.params().subList(0, a.params().size()),
                    "adding a step leaves the earlier steps' draws unchanged");
        }
    }

    @Test
    void stepProbabilitiesAreHonoured() {
        AugmentationPipeline p = new AugmentationPipeline(8, List.of(
                new AugmentationPipeline.Step(new Flip(true), 0.3),
                new AugmentationPipeline.Step(new Flip(false), 0.0),
                new AugmentationPipeline.Step(new ColorJitter(0.1, 0, 0), 1.0)));
        int flips = 0;
        int n = 20_000;
        for (long seed = 0; seed < n; seed++) {
            AugmentationPipeline.Sample s = p.sample(seed, 8, 8, 3);
            flips += s.params().get(0) == null ? 0 : 1;
            assertNull(s.params().get(1));
            assertTrue(s.params().get(2) instanceof ColorJitter.Params);
        }
        assertEquals(0.3, (double) flips / n, 0.015);
    }

    @Test
    void imagesLeavingAtAnotherSizeAreFittedLikeValidationCrops() {
        UInt8Image small = TestImages.pattern(2, 20, 1, 1);
        UInt8Image out = new AugmentationPipeline(28, List.of(new AugmentationPipeline.Step(new Flip(true), 0)))
                .apply(small, 5L);
        assertEquals(28, out.width());
        assertEquals(small.get(0, 0, 0), out.get(4, 4, 0), "zero-padded by 4 on every side");
        assertEquals(0, out.get(0, 0, 0));
        UInt8Image big = Resize.to(TestImages.pattern(3, 40, 3, 2), 40, 36);
        UInt8Image centre = AugmentationPipeline.of(28).apply(big, 1L);
        assertEquals(big.get(6, 4, 1), centre.get(0, 0, 1), "centre crop");
    }

    /** Replays a sample one step at a time through each transform's own apply: the reference for the fusions. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static UInt8Image stepByStep(AugmentationPipeline p, UInt8Image image, AugmentationPipeline.Sample sample) {
        UInt8Image out = image;
        for (int i = 0; i < p.steps().size(); i++) {
            java.io.Serializable params = sample.params().get(i);
            if (params != null) {
                out = ((Transform) p.steps().get(i).transform()).apply(out, params);
            }
        }
        return AugmentationPipeline.fitToInput(out, p.inputSize());
    }

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(T object) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(object);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }
}
