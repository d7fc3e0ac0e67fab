package io.cnnpipeline.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.cnnpipeline.core.InvalidConfigException;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * One configuration key, declared once: its name, type, default, unit, documentation and validity rule, in the manner
 * of Spark ML's {@code Param(parent, name, doc, isValid)} with {@code setDefault}. HOCON loading, the strict check of
 * unknown keys, the stage builders' defaults, {@code cnn-pipeline config} and {@code docs/configuration.md} are all
 * derived from these declarations.
 *
 * <p>Declared through a {@link ConfigGroup}, e.g.
 * {@code static final ConfigKey<Integer> EPOCHS = TRAIN.integer("epochs", 2).validIf(e -> e >= 1, "must be >= 1")
 * .doc("Passes over the training split.")}. Every modifier returns a new key and replaces the old one in its group, so
 * the constant holds the complete declaration. Immutable.
 *
 * @param <T> the Java type of the value
 */
public final class ConfigKey<T> {
    private final ConfigGroup group;
    private final String name;
    private final ConfigKind<T> kind;
    private final String defaultHocon;
    private final String doc;
    private final String unit;
    private final Predicate<? super T> valid;
    private final String rule;

    ConfigKey(ConfigGroup group, String name, ConfigKind<T> kind, String defaultHocon, String doc, String unit,
              Predicate<? super T> valid, String rule) {
        this.group = group;
        this.name = name;
        this.kind = Objects.requireNonNull(kind);
        this.defaultHocon = Objects.requireNonNull(defaultHocon);
        this.doc = doc;
        this.unit = unit;
        this.valid = valid;
        this.rule = rule;
    }

    /** The full dotted name, e.g. {@code train.epochs}. */
    public String name() {
        return name;
    }

    /** The last segment of the name, e.g. {@code epochs}. */
    public String shortName() {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    public ConfigKind<T> kind() {
        return kind;
    }

    /** The default as HOCON text: a value, or {@code ${other.key}} when it follows another key. */
    public String defaultHocon() {
        return defaultHocon;
    }

    /** The name of the key whose value this one takes by default, or null. */
    public String defaultReference() {
        return defaultHocon.startsWith("${") ? defaultHocon.substring(2, defaultHocon.length() - 1) : null;
    }

    public String doc() {
        return doc;
    }

    /** The unit of the value (pixels, bytes, minutes, ...), or "" for none. */
    public String unit() {
        return unit;
    }

    /** The validity rule as it reads in an error (e.g. {@code must be >= 1}), or "" when every value of the type is valid. */
    public String rule() {
        return rule;
    }

    /** The documentation followed by the validity rule ({@code ... Valid: must be >= 1.}), as the reference and
     * {@code cnn-pipeline config} print it. */
    public String description() {
        return doc + (rule.isEmpty() ? "" : " Valid: " + rule + ".");
    }

    /** This key with its documentation. */
    public ConfigKey<T> doc(String text) {
        return replace(new ConfigKey<>(group, name, kind, defaultHocon, text, unit, valid, rule));
    }

    /** This key with the unit of its value. */
    public ConfigKey<T> unit(String text) {
        return replace(new ConfigKey<>(group, name, kind, defaultHocon, doc, text, valid, rule));
    }

    /**
     * This key with a validity rule; a value failing {@code test} is rejected with {@code why} (e.g.
     * {@code must be >= 1}). Rules combine: each call adds one.
     */
    public ConfigKey<T> validIf(Predicate<? super T> test, String why) {
        Predicate<? super T> before = valid;
        Predicate<T> both = before == null ? test::test : v -> before.test(v) && test.test(v);
        String rules = rule.isEmpty() ? why : rule + "; " + why;
        return replace(new ConfigKey<>(group, name, kind, defaultHocon, doc, unit, both, rules));
    }

    private ConfigKey<T> replace(ConfigKey<T> next) {
        if (group != null) {
            group.replace(this, next);
        }
        return next;
    }

    /**
     * Returns {@code value} when it satisfies this key's rule.
     *
     * @throws InvalidConfigException naming this key, with the rule and the value, otherwise (also for null)
     */
    public T require(T value) {
        if (value == null) {
            throw new InvalidConfigException(name, "is required", null);
        }
        if (valid != null && !valid.test(value)) {
            throw new InvalidConfigException(name, rule, value instanceof ConfigEnum e ? e.id() : value);
        }
        return value;
    }

    /**
     * Reads and validates this key from a resolved configuration.
     *
     * @throws InvalidConfigException naming this key when the value is missing, of the wrong type or invalid
     */
    public T read(Config config) {
        T value;
        try {
            value = kind.read(config, name);
        } catch (InvalidConfigException e) {
            throw e;
        } catch (ConfigException.BadPath e) {
            throw new InvalidConfigException(e.getMessage().replaceFirst("^.*Invalid path '([^']*)'.*$", "$1"),
                    e.getMessage().replaceFirst("^.*Invalid path '[^']*': ", ""), null);
        } catch (ConfigException | IllegalArgumentException e) {
            Object got = config.hasPathOrNull(name) && !config.getIsNull(name)
                    ? config.getValue(name).unwrapped() : null;
            String why = e instanceof ConfigException.WrongType ? "must be " + article(kind.describe())
                    : e.getMessage();
            throw new InvalidConfigException(name, why, got);
        }
        return require(value);
    }

    /** "a list", "an integer". */
    public static String article(String noun) {
        return ("aeiou".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ") + noun;
    }

    /** The value as HOCON text. */
    public String render(T value) {
        return kind.render(value);
    }

    @Override
    public String toString() {
        return name;
    }
}
