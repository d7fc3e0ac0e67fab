package io.cnnpipeline.augment;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.cnnpipeline.core.config.ConfigGroup;
import io.cnnpipeline.core.config.ConfigKey;
import io.cnnpipeline.core.config.ConfigKind;
import io.cnnpipeline.core.InvalidConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The augmentation's configuration keys ({@code train.input-size}, {@code train.augmentation} and
 * {@code train.transform-defaults.<type>}: the registry of transform types, their parameters and defaults) and the
 * reader of {@code train.augmentation} — a list of transform objects, each {@code {type = <name>, <key> = <value>,
 * ...}} — into an {@link AugmentationPipeline}. An unknown type or key, a value of the wrong type or out of range is
 * an {@link InvalidConfigException} naming {@code train.augmentation[i].<key>}. Sizing transforms with
 * {@code size = 0} take {@code train.input-size}. Driver-only.
 */
public final class AugmentationConfig {
    /** The augmentation's part of the {@code train} section. */
    public static final ConfigGroup SECTION = ConfigGroup.section("train", "");

    public static final ConfigKey<Integer> INPUT_SIZE = SECTION.integer("input-size", 224).unit("pixels")
            .validIf(s -> s > 0, "must be > 0")
            .doc("Side of the network's square input; every training image is augmented to input-size x "
                    + "input-size.");
    public static final ConfigKey<AugmentationPipeline> AUGMENTATION = SECTION.hocon("augmentation",
            ConfigKind.structured("list of transform objects", AugmentationConfig::read, p -> {
                throw new UnsupportedOperationException("an augmentation pipeline has no HOCON form");
            }), "[{type = scale-crop, scale-min = 256, scale-max = 480}, {type = flip}, {type = color-jitter}, "
                    + "{type = pca-lighting}]")
            .doc("Online augmentation on the executors: transforms applied in order, each with a probability, "
                    + "re-drawn every epoch from (seed, epoch, record key). Each entry is {type = <type>, <key> = "
                    + "<value>, ...}; the types, their keys and defaults are in transform-defaults below. A crop "
                    + "(scale-crop, random-resized-crop, pad-crop) fixes the size; an image leaving the list at "
                    + "another size is zero-padded / centre-cropped to input-size. Normalization with the dataset's "
                    + "per-channel mean and std (stats.json) always follows. This default is the ResNet/AlexNet "
                    + "ImageNet recipe.");
    static final ConfigGroup TRANSFORM_DEFAULTS = SECTION.group("transform-defaults",
            "Every transform type with its parameters and their defaults; an entry of train.augmentation overrides "
                    + "them, and so does setting them here.");

    static {
        transform("flip", "{probability = 0.5}", "Left-right mirror.");
        transform("vertical-flip", "{probability = 0.5}",
                "Top-bottom mirror (not label-preserving for most photos; for aerial or microscopy images).");
        transform("scale-crop", "{probability = 1, scale-min = 0, scale-max = 0, size = 0}", "ResNet: short side L ~ "
                + "U{scale-min..scale-max} (0, 0 = keep), then a random size x size crop (0 = input-size).");
        transform("random-resized-crop", "{probability = 1, size = 0, area-min = 0.08, area-max = 1.0, "
                + "ratio-min = 0.75, ratio-max = 1.3333333333333333}", "Inception: a random area fraction and "
                + "aspect ratio (width/height, log-uniform) resampled to size x size.");
        transform("pad-crop", "{probability = 1, padding = 4, size = 0}",
                "CIFAR: zero-pad every side, then a random size x size crop.");
        transform("color-jitter", "{probability = 1, brightness = 0.4, contrast = 0.4, saturation = 0.4}",
                "Factors drawn from [max(0, 1 - j), 1 + j] (torchvision's definitions); applied brightness, "
                        + "contrast, saturation.");
        transform("pca-lighting", "{probability = 1, sigma = 0.1, magnitude = eigenvalue}", "AlexNet: add sum_i "
                + "alpha_i lambda_i p_i (RGB covariance eigenpairs of [0, 1] values from stats.json), alpha_i ~ N(0, "
                + "sigma). magnitude = eigenvalue uses lambda_i as in the paper (about one grey level at sigma 0.1); "
                + "stddev uses sqrt(lambda_i), the standard deviation along each component (a few levels, as ResNet "
                + "code applies).");
        transform("affine", "{probability = 1, translate = 0.1, rotate = 10, scale-min = 1.0, scale-max = 1.0, "
                + "stretch = 0.0, shear = 0.0, border = constant, fill = 0}", "About the centre: shift up to "
                + "translate x width/height, rotate up to +-rotate degrees, zoom in [scale-min, scale-max], stretch "
                + "(aspect factor in [1/(1+stretch), 1+stretch]), shear up to +-shear degrees. Bilinear; border = "
                + "constant (fill 0..255) | replicate | reflect.");
        transform("lens-distortion", "{probability = 1, strength = 0.1, border = constant, fill = 0}",
                "Radial distortion k ~ U[-strength, strength] (k > 0 barrel, k < 0 pincushion), bilinear.");
        transform("random-erasing", "{probability = 0.5, area-min = 0.02, area-max = 0.4, ratio-min = 0.3, "
                + "ratio-max = 3.3333333333333335, fill = random}", "Zhong et al. 2017: erase a rectangle (area "
                + "fraction, aspect ratio height/width) with random values or a constant.");
    }

    private AugmentationConfig() {
    }

    private static void transform(String type, String defaults, String doc) {
        TRANSFORM_DEFAULTS.hocon(type, ConfigKind.fixedMembers(defaults), defaults).doc(doc);
    }

    /** The transform types, as named in configuration. */
    public static Set<String> types() {
        Set<String> out = new TreeSet<>();
        TRANSFORM_DEFAULTS.keys().forEach(k -> out.add(k.shortName()));
        return out;
    }

    /**
     * An augmentation pipeline from its configuration text, e.g. {@code parse(28, "[{type = pad-crop, padding = 2},
     * {type = flip}]")}: the same list {@code train.augmentation} takes, with the declared transform defaults.
     *
     * @param inputSize the network's input side in pixels
     * @throws InvalidConfigException naming {@code train.augmentation[i].<key>} for an invalid entry
     */
    public static AugmentationPipeline parse(int inputSize, String hoconList) {
        List<ConfigKey<?>> keys = new ArrayList<>(SECTION.keys());
        Config config;
        try {
            config = com.typesafe.config.ConfigFactory.parseString(AUGMENTATION.name() + " = " + hoconList + "\n"
                    + INPUT_SIZE.name() + " = " + inputSize).withFallback(ConfigGroup.defaults(keys)).resolve();
        } catch (ConfigException e) {
            throw new InvalidConfigException(AUGMENTATION.name(), "cannot parse: " + e.getMessage(), hoconList);
        }
        return AUGMENTATION.read(config);
    }

    /** Reads the pipeline at {@code path} (with {@code train.input-size} and the transform defaults) from a resolved configuration. */
    static AugmentationPipeline read(Config config, String path) {
        int inputSize = INPUT_SIZE.read(config);
        List<? extends ConfigObject> list;
        try {
            list = config.getObjectList(path);
        } catch (ConfigException.WrongType e) {
            throw new InvalidConfigException(path, "must be a list of transform objects like [{type = flip}]", null);
        }
        List<AugmentationPipeline.Step> steps = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            steps.add(step(config, list.get(i).toConfig(), path + "[" + i + "]", inputSize));
        }
        try {
            return new AugmentationPipeline(inputSize, steps);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(path, e.getMessage(), null);
        }
    }

    private static AugmentationPipeline.Step step(Config config, Config entry, String at, int inputSize) {
        Set<String> types = types();
        if (!entry.hasPath("type") || entry.getValue("type").valueType() != ConfigValueType.STRING) {
            throw new InvalidConfigException(at + ".type", "is required, one of " + types, null);
        }
        String type = entry.getString("type");
        InvalidConfigException.require(types.contains(type), at + ".type", "must be one of " + types, type);
        String defaultsPath = TRANSFORM_DEFAULTS.name() + "." + type;
        if (config.getValue(defaultsPath).valueType() != ConfigValueType.OBJECT) {
            throw new InvalidConfigException(defaultsPath, "must be an object of " + type + "'s keys",
                    config.getValue(defaultsPath).unwrapped());
        }
        Config defaults = config.getConfig(defaultsPath);
        for (String key : entry.root().keySet()) {
            if (!key.equals("type") && !defaults.hasPath(key)) {
                throw new InvalidConfigException(at + "." + key, "unknown key for " + type + "; its keys are "
                        + new TreeSet<>(defaults.root().keySet()), null);
            }
        }
        Values v = new Values(entry.withFallback(defaults), at);
        Transform<?> transform;
        try {
            transform = switch (type) {
                case "flip" -> new Flip(true);
                case "vertical-flip" -> new Flip(false);
                case "scale-crop" -> new ScaleCrop(v.integer("scale-min"), v.integer("scale-max"),
                        v.size("size", inputSize));
                case "random-resized-crop" -> new RandomResizedCrop(v.size("size", inputSize), v.number("area-min"),
                        v.number("area-max"), v.number("ratio-min"), v.number("ratio-max"));
                case "pad-crop" -> new PadCrop(v.integer("padding"), v.size("size", inputSize));
                case "color-jitter" -> new ColorJitter(v.number("brightness"), v.number("contrast"),
                        v.number("saturation"));
                case "pca-lighting" -> {
                    String magnitude = v.string("magnitude");
                    InvalidConfigException.require(magnitude.equals("eigenvalue") || magnitude.equals("stddev"),
                            at + ".magnitude", "must be eigenvalue or stddev", magnitude);
                    yield PcaLighting.unbound(v.number("sigma"), magnitude.equals("stddev"));
                }
                case "affine" -> new Affine(v.number("translate"), v.number("rotate"), v.number("scale-min"),
                        v.number("scale-max"), v.number("stretch"), v.number("shear"), v.border(), v.integer("fill"));
                case "lens-distortion" -> new LensDistortion(v.number("strength"), v.border(), v.integer("fill"));
                case "random-erasing" -> {
                    String fill = v.string("fill");
                    boolean random = fill.equals("random");
                    int value = 0;
                    if (!random) {
                        try {
                            value = Integer.parseInt(fill);
                        } catch (NumberFormatException e) {
                            throw new InvalidConfigException(at + ".fill", "must be random or a value 0..255", fill);
                        }
                    }
                    yield new RandomErasing(v.number("area-min"), v.number("area-max"), v.number("ratio-min"),
                            v.number("ratio-max"), random, value);
                }
                default -> throw new InvalidConfigException(at + ".type", "has no implementation", type);
            };
            return new AugmentationPipeline.Step(transform, v.number("probability"));
        } catch (InvalidConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(at, e.getMessage(), null);
        }
    }

    /** Typed reads that name the list element's key on error. */
    private record Values(Config c, String at) {
        double number(String key) {
            try {
                return c.getDouble(key);
            } catch (ConfigException e) {
                throw new InvalidConfigException(at + "." + key, "must be a number", value(key));
            }
        }

        int integer(String key) {
            try {
                return c.getInt(key);
            } catch (ConfigException e) {
                throw new InvalidConfigException(at + "." + key, "must be an integer", value(key));
            }
        }

        int size(String key, int inputSize) {
            int s = integer(key);
            InvalidConfigException.require(s >= 0, at + "." + key, "must be >= 0 (0 = train.input-size)", s);
            return s == 0 ? inputSize : s;
        }

        String string(String key) {
            try {
                return c.getString(key);
            } catch (ConfigException e) {
                throw new InvalidConfigException(at + "." + key, "must be a string", value(key));
            }
        }

        Border border() {
            String b = string("border");
            try {
                return Border.fromId(b);
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException(at + ".border", "must be constant, replicate or reflect", b);
            }
        }

        private Object value(String key) {
            ConfigValue v = c.hasPath(key) ? c.getValue(key) : null;
            return v == null ? null : v.unwrapped();
        }
    }
}
