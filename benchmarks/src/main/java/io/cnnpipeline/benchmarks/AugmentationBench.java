package io.cnnpipeline.benchmarks;

import io.cnnpipeline.core.BuildInfo;
import io.cnnpipeline.image.Crops;
import io.cnnpipeline.dataset.DatasetStats;
import io.cnnpipeline.dataset.Normalizer;
import io.cnnpipeline.image.UInt8Image;
import io.cnnpipeline.augment.Affine;
import io.cnnpipeline.augment.AugmentationPipeline;
import io.cnnpipeline.augment.Border;
import io.cnnpipeline.augment.ColorJitter;
import io.cnnpipeline.augment.Flip;
import io.cnnpipeline.augment.LensDistortion;
import io.cnnpipeline.augment.PcaLighting;
import io.cnnpipeline.augment.RandomErasing;
import io.cnnpipeline.augment.RandomResizedCrop;
import io.cnnpipeline.augment.ScaleCrop;
import io.cnnpipeline.augment.Transform;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Single-thread throughput of each transform and of the ImageNet training pipeline (ResNet scale + crop to 224,
 * flip, colour jitter, PCA lighting, normalization into an NCHW float32 minibatch buffer) on already-decoded real
 * photographs stored at short side 256 (as {@code conf/imagenet-like.conf} stores them). One thread, so images/s is
 * images/s per core. Each case warms up, then runs for a fixed wall time; the figure is images / elapsed seconds.
 * Driver-only; do not run it next to other CPU-heavy work.
 */
final class AugmentationBench {
    /** One measured case. */
    record Result(String name, String input, long images, double seconds, double imagesPerSecond,
                  double microsPerImage) {
    }

    private AugmentationBench() {
    }

    static List<Result> run(List<UInt8Image> stored, DatasetStats stats, double warmupSeconds, double seconds) {
        int size = 224;
        List<UInt8Image> crops = new ArrayList<>();
        for (UInt8Image s : stored) {
            UInt8Image p = Crops.padTo(s, size);
            crops.add(Crops.apply(p, Crops.centre(p.width(), p.height(), size)));
        }
        PcaLighting lighting = PcaLighting.unbound(0.1).bind(stats);
        Map<String, Transform<?>> onStored = new LinkedHashMap<>();
        onStored.put("scale-crop [256, 480] -> 224", new ScaleCrop(256, 480, size));
        onStored.put("random-resized-crop -> 224", new RandomResizedCrop(size, 0.08, 1, 0.75, 4.0 / 3));
        Map<String, Transform<?>> onCrops = new LinkedHashMap<>();
        onCrops.put("flip", new Flip(true));
        onCrops.put("color-jitter 0.4/0.4/0.4", new ColorJitter(0.4, 0.4, 0.4));
        onCrops.put("pca-lighting 0.1", lighting);
        onCrops.put("affine (translate 0.1, rotate 10, zoom 0.9-1.1, stretch 0.1, shear 5)",
                new Affine(0.1, 10, 0.9, 1.1, 0.1, 5, Border.CONSTANT, 0));
        onCrops.put("lens-distortion 0.1", new LensDistortion(0.1, Border.CONSTANT, 0));
        onCrops.put("random-erasing", new RandomErasing(0.02, 0.4, 0.3, 1 / 0.3, true, 0));

        List<Result> results = new ArrayList<>();
        for (Map.Entry<String, Transform<?>> e : onStored.entrySet()) {
            AugmentationPipeline p = AugmentationPipeline.of(size, e.getValue());
            results.add(measure(e.getKey(), "stored", stored, warmupSeconds, seconds, (img, i) -> p.apply(img, i)));
        }
        for (Map.Entry<String, Transform<?>> e : onCrops.entrySet()) {
            AugmentationPipeline p = AugmentationPipeline.of(size, e.getValue());
            results.add(measure(e.getKey(), "224 crops", crops, warmupSeconds, seconds, (img, i) -> p.apply(img, i)));
        }
        Normalizer normalizer = new Normalizer(stats.mean(), stats.std());
        float[] buffer = new float[3 * size * size];
        results.add(measure("normalize -> NCHW float32", "224 crops", crops, warmupSeconds, seconds, (img, i) -> {
            normalizer.writeChw(img, buffer, 0);
            return img;
        }));
        AugmentationPipeline imagenet = new AugmentationPipeline(size, List.of(
                new AugmentationPipeline.Step(new ScaleCrop(256, 480, size), 1),
                new AugmentationPipeline.Step(new Flip(true), 0.5),
                new AugmentationPipeline.Step(new ColorJitter(0.4, 0.4, 0.4), 1),
                new AugmentationPipeline.Step(lighting, 1)));
        results.add(measure("ImageNet pipeline: scale-crop + flip + color-jitter + pca-lighting + normalize",
                "stored", stored, warmupSeconds, seconds, (img, i) -> {
                    UInt8Image out = imagenet.apply(img, AugmentationPipeline.recordSeed(42, 1, Long.toString(i)));
                    normalizer.writeChw(out, buffer, 0);
                    return out;
                }));
        return results;
    }

    private interface Op {
        UInt8Image apply(UInt8Image image, long iteration);
    }

    private static Result measure(String name, String input, List<UInt8Image> images, double warmupSeconds,
                                  double seconds, Op op) {
        long sink = 0;
        long i = 0;
        long end = System.nanoTime() + (long) (warmupSeconds * 1e9);
        while (System.nanoTime() < end) {
            sink += op.apply(images.get((int) (i % images.size())), i).width();
            i++;
        }
        long n = 0;
        long start = System.nanoTime();
        end = start + (long) (seconds * 1e9);
        long now;
        do {
            for (int k = 0; k < 16; k++, n++) {
                sink += op.apply(images.get((int) (n % images.size())), n + i).width();
            }
            now = System.nanoTime();
        } while (now < end);
        double elapsed = (now - start) / 1e9;
        if (sink == 42) {
            System.err.print("");
        }
        return new Result(name, input, n, elapsed, n / elapsed, elapsed * 1e6 / n);
    }

    /** The JSON document written by {@code bench augment --output}. */
    static Map<String, Object> report(List<Result> results, int photos, String source) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("benchmark", "augmentation");
        doc.put("version", BuildInfo.version());
        doc.put("gitCommit", BuildInfo.gitCommit());
        doc.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        doc.put("availableProcessors", Runtime.getRuntime().availableProcessors());
        doc.put("threads", 1);
        doc.put("photos", photos);
        doc.put("source", source);
        doc.put("results", results);
        return doc;
    }
}
