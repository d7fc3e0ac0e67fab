package io.cnnpipeline.evaluation;

import io.cnnpipeline.image.CropBox;
import io.cnnpipeline.image.Crops;
import io.cnnpipeline.image.Resize;
import io.cnnpipeline.image.UInt8Image;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The test-time views of one image and which of them each evaluation mode averages:
 * <ul>
 *   <li>{@link Mode#CENTRE} — view 0: the centre crop after resizing the short side to the centre scale;</li>
 *   <li>{@link Mode#TEN_CROP} — views 1..10: {@link Crops#tenCrop} at the centre scale;</li>
 *   <li>{@link Mode#MULTI_SCALE} — views 11..: {@link Crops#tenCrop} at every configured scale
 *       (He et al. 2015: {224, 256, 384, 480, 640} × 10 crops of 224).</li>
 * </ul>
 * Crops come from the same {@link Crops} code that training augmentation uses. Images smaller than a crop are
 * zero-padded to it. Immutable and executor-safe.
 */
public final class CropPlan implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Evaluation modes, in report order. */
    public enum Mode implements io.cnnpipeline.core.config.ConfigEnum {
        CENTRE("centre-crop"), TEN_CROP("10-crop"), MULTI_SCALE("multi-scale");

        private final String id;

        Mode(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }
    }

    private final int cropSize;
    private final int centreScale;
    private final List<Integer> scales;

    /**
     * @param cropSize    crop side in pixels
     * @param centreScale short side before centre and 10-crop, 0 = as stored
     * @param scales      short sides of the multi-scale views
     */
    public CropPlan(int cropSize, int centreScale, List<Integer> scales) {
        this.cropSize = cropSize;
        this.centreScale = centreScale;
        this.scales = List.copyOf(scales);
    }

    /** Crop side in pixels. */
    public int cropSize() {
        return cropSize;
    }

    /** Views per image: 1 + 10 + 10 × scales. */
    public int viewsPerImage() {
        return 11 + 10 * scales.size();
    }

    /** Index range [from, to) of the views a mode averages. */
    public int[] range(Mode mode) {
        switch (mode) {
            case CENTRE:
                return new int[] {0, 1};
            case TEN_CROP:
                return new int[] {1, 11};
            default:
                return new int[] {11, viewsPerImage()};
        }
    }

    /**
     * The distinct views of one image: {@code unique} holds each distinct (resized image, crop box) once, and
     * {@code index[v]} gives the position in {@code unique} of logical view {@code v} (0 ≤ v &lt; {@link #viewsPerImage()}).
     * Modes average over logical views, so shared views count as often as they occur — the same numbers as
     * evaluating every view, with fewer forward passes (at the stored size the 5 crops coincide; the centre scale
     * often equals one of the scales).
     */
    public record Views(List<UInt8Image> unique, int[] index) {
    }

    /** All {@link #viewsPerImage()} views of one image, in logical order, each {@code cropSize}×{@code cropSize}. */
    public List<UInt8Image> views(UInt8Image image) {
        Views v = uniqueViews(image);
        List<UInt8Image> all = new ArrayList<>(v.index().length);
        for (int i : v.index()) {
            all.add(v.unique().get(i));
        }
        return all;
    }

    /** The distinct views of one image and the logical → distinct mapping. */
    public Views uniqueViews(UInt8Image image) {
        java.util.Map<String, Integer> seen = new java.util.HashMap<>();
        List<UInt8Image> unique = new ArrayList<>();
        int[] index = new int[viewsPerImage()];
        int v = 0;
        int baseSide = centreScale > 0 ? centreScale : image.shortSide();
        UInt8Image base = fit(centreScale > 0 ? Resize.shortSide(image, centreScale) : image);
        v = add(base, baseSide, Crops.centre(base.width(), base.height(), cropSize), seen, unique, index, v);
        for (CropBox box : Crops.tenCrop(base.width(), base.height(), cropSize)) {
            v = add(base, baseSide, box, seen, unique, index, v);
        }
        for (int scale : scales) {
            UInt8Image scaled = fit(Resize.shortSide(image, scale));
            for (CropBox box : Crops.tenCrop(scaled.width(), scaled.height(), cropSize)) {
                v = add(scaled, scale, box, seen, unique, index, v);
            }
        }
        return new Views(unique, index);
    }

    private static int add(UInt8Image source, int side, CropBox box, java.util.Map<String, Integer> seen,
                           List<UInt8Image> unique, int[] index, int v) {
        String key = side + ":" + box;
        Integer at = seen.get(key);
        if (at == null) {
            at = unique.size();
            unique.add(Crops.apply(source, box));
            seen.put(key, at);
        }
        index[v] = at;
        return v + 1;
    }

    private UInt8Image fit(UInt8Image image) {
        return Crops.padTo(image, cropSize);
    }
}
