package io.cnnpipeline.pipeline.search;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import io.cnnpipeline.core.RandomStreams;
import io.cnnpipeline.core.config.ConfigEnum;
import io.cnnpipeline.core.config.ConfigKind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A hyperparameter search space: configuration keys, each with the distribution its trials' values are drawn from
 * (Bergstra and Bengio 2012: random search, log-uniform ranges for rates). Trial {@code t}'s value of key {@code k}
 * is drawn from the stream (root seed, {@link RandomStreams#SEARCH}, t, k) alone, so the same seed samples the same
 * trials whatever the order they run in, the number of trials, or which other keys the space holds.
 *
 * <p>Written in the configuration as {@code search.space}, a list of
 * {@code {key = train.learning-rate, distribution = log-uniform, min = 0.001, max = 0.1}},
 * {@code {key = train.width-multiplier, distribution = uniform, min = 0.5, max = 2}},
 * {@code {key = "train.transform-defaults.pad-crop.padding", distribution = integer, min = 0, max = 4}} (both ends
 * included) or {@code {key = train.updater, distribution = choice, values = [nesterov, adam]}} (values may be any
 * HOCON values, lists and objects too). Numbers are kept to 4 significant digits, so the value a trial trained with
 * is the one its configuration file shows.
 *
 * @param parameters the searched keys, in the order the configuration lists them
 */
public record SearchSpace(List<Parameter> parameters) {
    /** Keys a search sets for every trial itself, which a space may not search over. */
    public static final Set<String> RESERVED = Set.of("seed", "train.run-id", "train.runs-dir", "train.epochs",
            "train.stop-after-epoch", "train.resume");

    public SearchSpace {
        parameters = List.copyOf(parameters);
        Set<String> seen = new HashSet<>();
        for (Parameter p : parameters) {
            if (!seen.add(p.key())) {
                throw new IllegalArgumentException("key " + p.key() + " is listed twice");
            }
        }
    }

    /** How a parameter's values are drawn. */
    public enum Distribution implements ConfigEnum {
        /** Uniform on [min, max). */
        UNIFORM("uniform"),
        /** exp(uniform on [ln min, ln max)): for rates and coefficients spanning orders of magnitude; min &gt; 0. */
        LOG_UNIFORM("log-uniform"),
        /** A uniform integer in [min, max], both ends included. */
        INTEGER("integer"),
        /** One of {@code values}, each with probability 1/n. */
        CHOICE("choice");

        private final String id;

        Distribution(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }
    }

    /**
     * One searched key.
     *
     * @param key          a declared configuration key, or a member of an object key
     *                     ({@code train.transform-defaults.pad-crop.padding})
     * @param distribution how values are drawn
     * @param min          lower end (uniform, log-uniform, integer); NaN for choice
     * @param max          upper end; NaN for choice
     * @param values       choice: the values as HOCON text; empty otherwise
     */
    public record Parameter(String key, Distribution distribution, double min, double max, List<String> values) {
        public Parameter {
            values = List.copyOf(values);
            if (key.isBlank()) {
                throw new IllegalArgumentException("key must not be empty");
            }
            if (RESERVED.contains(key) || key.startsWith("search.")) {
                throw new IllegalArgumentException(key + " is set by the search itself for every trial");
            }
            switch (distribution) {
                case CHOICE -> {
                    if (values.isEmpty()) {
                        throw new IllegalArgumentException(key + ": choice needs a non-empty values list");
                    }
                }
                case UNIFORM, LOG_UNIFORM, INTEGER -> {
                    if (!(Double.isFinite(min) && Double.isFinite(max) && min <= max)) {
                        throw new IllegalArgumentException(key + ": needs finite min <= max, got min = " + min
                                + ", max = " + max);
                    }
                    if (distribution == Distribution.LOG_UNIFORM && min <= 0) {
                        throw new IllegalArgumentException(key + ": log-uniform needs min > 0, got " + min);
                    }
                    if (distribution == Distribution.INTEGER && (min != Math.rint(min) || max != Math.rint(max))) {
                        throw new IllegalArgumentException(key + ": integer needs integral min and max");
                    }
                    if (!values.isEmpty()) {
                        throw new IllegalArgumentException(key + ": values belong to choice; " + distribution.id()
                                + " takes min and max");
                    }
                }
                default -> throw new AssertionError(distribution);
            }
        }

        /** The value drawn for {@code trial} (1-based) under the root {@code seed}, as HOCON text. */
        public String sample(long seed, int trial) {
            SplittableRandom random = RandomStreams.forRecord(seed, RandomStreams.SEARCH, trial, key);
            double u = random.nextDouble();
            return switch (distribution) {
                case UNIFORM -> number(min + u * (max - min));
                case LOG_UNIFORM -> number(Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))));
                case INTEGER -> Long.toString((long) min + (long) Math.floor(u * (max - min + 1)));
                case CHOICE -> values.get((int) Math.floor(u * values.size()));
            };
        }

        /** The values a trial can get that test the key's validation: both ends, or every choice. */
        public List<String> extremes() {
            return switch (distribution) {
                case CHOICE -> values;
                case INTEGER -> List.of(Long.toString((long) min), Long.toString((long) max));
                default -> List.of(number(min), number(max));
            };
        }

        /** This parameter as one HOCON object of {@code search.space}. */
        public String render() {
            String k = com.typesafe.config.ConfigUtil.quoteString(key);
            return distribution == Distribution.CHOICE
                    ? "{key = " + k + ", distribution = choice, values = [" + String.join(", ", values) + "]}"
                    : "{key = " + k + ", distribution = " + distribution.id() + ", min = " + number(min)
                    + ", max = " + number(max) + "}";
        }
    }

    /** {@code x} to 4 significant digits, as the shortest decimal text that reads back as the rounded value. */
    static String number(double x) {
        double rounded = Double.parseDouble(String.format(Locale.ROOT, "%.4g", x));
        String plain = new java.math.BigDecimal(Double.toString(rounded)).stripTrailingZeros().toPlainString();
        return plain.length() <= 12 ? plain : Double.toString(rounded);
    }

    /** Trial {@code trial}'s values (1-based), key to HOCON text, sorted by key. */
    public SortedMap<String, String> sample(long seed, int trial) {
        SortedMap<String, String> out = new TreeMap<>();
        for (Parameter p : parameters) {
            out.put(p.key(), p.sample(seed, trial));
        }
        return out;
    }

    /** The space's configuration kind: a list of parameter objects. */
    public static final ConfigKind<SearchSpace> KIND = ConfigKind.structured(
            "list of {key, distribution, min, max} or {key, distribution = choice, values}",
            SearchSpace::read, s -> "[" + String.join(", ", s.parameters().stream().map(Parameter::render).toList())
                    + "]");

    private static final Set<String> MEMBERS = Set.of("key", "distribution", "min", "max", "values");

    private static SearchSpace read(Config config, String path) {
        List<Parameter> out = new ArrayList<>();
        List<? extends Config> entries = config.getConfigList(path);
        for (int i = 0; i < entries.size(); i++) {
            Config e = entries.get(i);
            String at = path + "[" + i + "]";
            for (String member : e.root().keySet()) {
                if (!MEMBERS.contains(member)) {
                    throw new IllegalArgumentException(at + "." + member + ": unknown member; the members are "
                            + new java.util.TreeSet<>(MEMBERS));
                }
            }
            try {
                Distribution d = ConfigEnum.parse(Distribution.class, e.getString("distribution"));
                List<String> values = new ArrayList<>();
                if (e.hasPath("values")) {
                    for (ConfigValue v : e.getList("values")) {
                        values.add(v.render(ConfigRenderOptions.concise()));
                    }
                }
                boolean range = d != Distribution.CHOICE;
                out.add(new Parameter(e.getString("key"), d, range && e.hasPath("min") ? e.getDouble("min")
                        : range ? requireMember(at, "min") : Double.NaN,
                        range && e.hasPath("max") ? e.getDouble("max") : range ? requireMember(at, "max") : Double.NaN,
                        values));
            } catch (ConfigException.Missing m) {
                throw new IllegalArgumentException(at + ": needs key and distribution");
            } catch (ConfigException.WrongType m) {
                throw new IllegalArgumentException(at + ": " + m.getMessage().replaceFirst("^.*?: ", ""));
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException(at + ": " + bad.getMessage());
            }
        }
        return new SearchSpace(out);
    }

    private static double requireMember(String at, String member) {
        throw new IllegalArgumentException("needs " + member);
    }

    /** Parses a space from HOCON text (a list of parameter objects), for Java callers and tests. */
    public static SearchSpace parse(String hocon) {
        return read(ConfigFactory.parseString("space = " + hocon), "space");
    }
}
