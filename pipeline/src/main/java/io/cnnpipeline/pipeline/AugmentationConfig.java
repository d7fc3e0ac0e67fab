package io.cnnpipeline.pipeline;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.cnnpipeline.preprocessing.InvalidConfigException;
import io.cnnpipeline.preprocessing.augment.Affine;
import io.cnnpipeline.preprocessing.augment.AugmentationPipeline;
import io.cnnpipeline.preprocessing.augment.Border;
import io.cnnpipeline.preprocessing.augment.ColorJitter;
import io.cnnpipeline.preprocessing.augment.Flip;
import io.cnnpipeline.preprocessing.augment.LensDistortion;
import io.cnnpipeline.preprocessing.augment.PadCrop;
import io.cnnpipeline.preprocessing.augment.PcaLighting;
import io.cnnpipeline.preprocessing.augment.RandomErasing;
import io.cnnpipeline.preprocessing.augment.RandomResizedCrop;
import io.cnnpipeline.preprocessing.augment.ScaleCrop;
import io.cnnpipeline.preprocessing.augment.Transform;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads {@code train.augmentation} — a list of transform objects, each {@code {type = <name>, <key> = <value>, ...}}
 * — into an {@link AugmentationPipeline}. Every type's keys and defaults are declared in
 * {@code train.transform-defaults.<type>} of {@code defaults.conf}; an unknown type or key, a value of the wrong type or
 * out of range is an {@link InvalidConfigException} naming {@code train.augmentation[i].<key>}. Sizing transforms with
 * {@code size = 0} take {@code train.input-size}. Driver-only.
 */
final class AugmentationConfig {
    static final String LIST = "train.augmentation";
    static final String DEFAULTS = "train.transform-defaults";

    private AugmentationConfig() {
    }

    /** The transform types, as named in configuration. */
    static Set<String> types(Config config) {
        return new TreeSet<>(config.getObject(DEFAULTS).keySet());
    }

    static AugmentationPipeline read(Config config) {
        int inputSize = config.getInt("train.input-size");
        InvalidConfigException.require(inputSize > 0, "train.input-size", "must be > 0", inputSize);
        List<? extends ConfigObject> list;
        try {
            list = config.getObjectList(LIST);
        } catch (ConfigException.WrongType e) {
            throw new InvalidConfigException(LIST, "must be a list of transform objects like [{type = flip}]", null);
        }
        List<AugmentationPipeline.Step> steps = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            steps.add(step(config, list.get(i).toConfig(), LIST + "[" + i + "]", inputSize));
        }
        try {
            return new AugmentationPipeline(inputSize, steps);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(LIST, e.getMessage(), null);
        }
    }

    private static AugmentationPipeline.Step step(Config config, Config entry, String at, int inputSize) {
        Set<String> types = types(config);
        if (!entry.hasPath("type") || entry.getValue("type").valueType() != ConfigValueType.STRING) {
            throw new InvalidConfigException(at + ".type", "is required, one of " + types, null);
        }
        String type = entry.getString("type");
        InvalidConfigException.require(types.contains(type), at + ".type", "must be one of " + types, type);
        Config defaults = config.getConfig(DEFAULTS + "." + type);
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
