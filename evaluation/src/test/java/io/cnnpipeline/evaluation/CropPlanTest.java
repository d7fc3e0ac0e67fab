package io.cnnpipeline.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cnnpipeline.image.Crops;
import io.cnnpipeline.image.Resize;
import io.cnnpipeline.core.TestImages;
import io.cnnpipeline.image.UInt8Image;
import java.util.List;
import org.junit.jupiter.api.Test;

class CropPlanTest {
    private final UInt8Image photo = Resize.to(TestImages.pattern(2, 40, 3, 1), 40, 30);

    @Test
    void viewsAreCentreThenTenCropThenTenCropPerScale() {
        CropPlan plan = new CropPlan(24, 32, List.of(24, 28, 36));
        List<UInt8Image> views = plan.views(photo);
        assertEquals(1 + 10 + 30, plan.viewsPerImage());
        assertEquals(plan.viewsPerImage(), views.size());
        for (UInt8Image v : views) {
            assertEquals(24, v.width());
            assertEquals(24, v.height());
        }
        UInt8Image base = Resize.shortSide(photo, 32);
        assertEquals(Crops.apply(base, Crops.centre(base.width(), base.height(), 24)), views.get(0));
        assertEquals(Crops.apply(base, Crops.tenCrop(base.width(), base.height(), 24).get(7)), views.get(1 + 7));
        UInt8Image at36 = Resize.shortSide(photo, 36);
        assertEquals(Crops.apply(at36, Crops.tenCrop(at36.width(), at36.height(), 24).get(9)), views.get(11 + 20 + 9));
        assertArrayEquals(new int[] {0, 1}, plan.range(CropPlan.Mode.CENTRE));
        assertArrayEquals(new int[] {1, 11}, plan.range(CropPlan.Mode.TEN_CROP));
        assertArrayEquals(new int[] {11, 41}, plan.range(CropPlan.Mode.MULTI_SCALE));
    }

    @Test
    void sharedViewsAreComputedOnceAndMappedBack() {
        UInt8Image square = TestImages.pattern(1, 16, 1, 3);
        CropPlan plan = new CropPlan(16, 0, List.of(16, 20));
        CropPlan.Views v = plan.uniqueViews(square);
        // At the stored size every crop is the whole image: one unflipped and one flipped view, shared by the
        // centre crop, the 10-crop and the multi-scale views at 16; scale 20 adds 10 distinct views.
        assertEquals(2 + 10, v.unique().size());
        assertEquals(31, v.index().length);
        assertEquals(square, v.unique().get(v.index()[0]));
        List<UInt8Image> all = plan.views(square);
        for (int i = 0; i < all.size(); i++) {
            assertEquals(all.get(i), v.unique().get(v.index()[i]));
        }
        CropPlan photoPlan = new CropPlan(24, 28, List.of(24, 28, 36));
        assertEquals(1 + 10 + 30, photoPlan.views(photo).size());
        // 40x30 photo: the centre crop is one of the 10 crops and scale 28 repeats the centre scale; at scale 24 the
        // image is 32x24, so top and bottom corners coincide (3 distinct boxes, 6 with flips).
        assertEquals(10 + 6 + 10, photoPlan.uniqueViews(photo).unique().size());
    }

    @Test
    void imagesSmallerThanTheCropArePadded() {
        CropPlan plan = new CropPlan(20, 0, List.of(20));
        UInt8Image small = TestImages.pattern(0, 16, 1, 2);
        UInt8Image centre = plan.views(small).get(0);
        assertEquals(Crops.pad(small, 2), centre);
    }

    @Test
    void atTheCropSizeMultiScaleRepeatsTheTenCrop() {
        UInt8Image square = TestImages.pattern(1, 16, 1, 3);
        List<UInt8Image> views = new CropPlan(16, 0, List.of(16)).views(square);
        for (int i = 0; i < 10; i++) {
            assertEquals(views.get(1 + i), views.get(11 + i));
        }
    }
}
