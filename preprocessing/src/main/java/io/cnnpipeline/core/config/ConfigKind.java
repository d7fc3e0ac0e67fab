package io.cnnpipeline.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The type of a {@link ConfigKey}'s value: how it is read from HOCON and written back. Reading errors are
 * {@link com.typesafe.config.ConfigException}s or {@link IllegalArgumentException}s; {@link ConfigKey#read} turns both
 * into an {@link io.cnnpipeline.core.InvalidConfigException} naming the key.
 *
 * @param <T> the Java type of the value
 */
public interface ConfigKind<T> {
    /** Reads the value at {@code path} of a resolved configuration. */
    T read(Config config, String path);

    /** The value as a HOCON value (for defaults, {@code cnn-pipeline config} and the reference page). */
    default String render(T value) {
        return ConfigValueFactory.fromAnyRef(value).render(ConfigRenderOptions.concise());
    }

    /** What the reference page says the type is, e.g. {@code integer} or {@code lenet | small-cnn}. */
    String describe();

    /**
     * Whether the value is an object whose member keys the user chooses (the kind validates them), so that
     * {@code key.member} is not an unknown key.
     */
    default boolean object() {
        return false;
    }

    ConfigKind<String> STRING = simple("string", Config::getString);
    ConfigKind<Integer> INT = simple("integer", Config::getInt);
    ConfigKind<Long> LONG = simple("integer", Config::getLong);
    ConfigKind<Double> DOUBLE = simple("number", Config::getDouble);
    ConfigKind<Boolean> BOOLEAN = simple("boolean", Config::getBoolean);
    /** A size in bytes; HOCON's units ({@code 128m}, {@code 1g}) are accepted. */
    ConfigKind<Long> BYTES = simple("bytes", Config::getBytes);
    ConfigKind<List<String>> STRINGS = simple("list of strings", (c, p) -> List.copyOf(c.getStringList(p)));
    ConfigKind<List<Integer>> INTS = simple("list of integers", (c, p) -> List.copyOf(c.getIntList(p)));
    ConfigKind<List<Double>> DOUBLES = simple("list of numbers", (c, p) -> List.copyOf(c.getDoubleList(p)));

    /** An object of numbers with keys the user chooses, e.g. {@code {fc1 = 0.1}}; an unmodifiable sorted map. */
    ConfigKind<Map<String, Double>> NUMBER_MAP = new ConfigKind<>() {
        @Override
        public Map<String, Double> read(Config config, String path) {
            Map<String, Double> out = new java.util.TreeMap<>();
            Config m = config.getConfig(path);
            for (String k : m.root().keySet()) {
                out.put(k, m.getDouble(ConfigUtil.quoteString(k)));
            }
            return Collections.unmodifiableMap(out);
        }

        @Override
        public String render(Map<String, Double> value) {
            return ConfigValueFactory.fromMap(value).render(ConfigRenderOptions.concise());
        }

        @Override
        public String describe() {
            return "object of numbers";
        }

        @Override
        public boolean object() {
            return true;
        }
    };

    /** Settings passed through as they are ({@code spark.conf}): every member as a string, in file order. */
    ConfigKind<Map<String, String>> STRING_MAP = new ConfigKind<>() {
        @Override
        public Map<String, String> read(Config config, String path) {
            Map<String, String> out = new LinkedHashMap<>();
            for (Map.Entry<String, ConfigValue> e : config.getConfig(path).entrySet()) {
                out.put(e.getKey().replace("\"", ""), String.valueOf(e.getValue().unwrapped()));
            }
            return Collections.unmodifiableMap(out);
        }

        @Override
        public String render(Map<String, String> value) {
            return ConfigValueFactory.fromMap(value).render(ConfigRenderOptions.concise());
        }

        @Override
        public String describe() {
            return "object";
        }

        @Override
        public boolean object() {
            return true;
        }
    };

    /** One of an enum's {@link ConfigEnum#id() identifiers}. */
    static <E extends Enum<E> & ConfigEnum> ConfigKind<E> of(Class<E> type) {
        return new ConfigKind<>() {
            @Override
            public E read(Config config, String path) {
                return ConfigEnum.parse(type, config.getString(path));
            }

            @Override
            public String render(E value) {
                return value.id();
            }

            @Override
            public String describe() {
                return ConfigEnum.ids(type);
            }
        };
    }

    /**
     * An object with a fixed set of optional member keys (e.g. the splits {@code train} and {@code test}) holding
     * strings; members that are empty strings are left out of the map.
     */
    static ConfigKind<Map<String, String>> members(List<String> names) {
        return new ConfigKind<>() {
            @Override
            public Map<String, String> read(Config config, String path) {
                Map<String, String> out = new LinkedHashMap<>();
                Config m = config.getConfig(path);
                for (String k : m.root().keySet()) {
                    if (!names.contains(k)) {
                        throw new ConfigException.BadPath(path + "." + k, "unknown key; the keys are " + names);
                    }
                }
                for (String k : names) {
                    String v = m.hasPath(k) ? m.getString(k) : "";
                    if (!v.isEmpty()) {
                        out.put(k, v);
                    }
                }
                return Collections.unmodifiableMap(out);
            }

            @Override
            public String render(Map<String, String> value) {
                Map<String, String> all = new LinkedHashMap<>();
                for (String k : names) {
                    all.put(k, value.getOrDefault(k, ""));
                }
                return ConfigValueFactory.fromMap(all).render(ConfigRenderOptions.concise());
            }

            @Override
            public String describe() {
                return "object with " + String.join(", ", names);
            }

            @Override
            public boolean object() {
                return true;
            }
        };
    }

    /**
     * An object whose member keys are those of {@code defaultHocon} (an object, e.g. a transform's parameters and
     * their defaults); another member is an error. Read as an unmodifiable map of the members' plain values.
     */
    static ConfigKind<Map<String, Object>> fixedMembers(String defaultHocon) {
        java.util.Set<String> names = com.typesafe.config.ConfigFactory.parseString("v = " + defaultHocon)
                .getObject("v").keySet();
        return new ConfigKind<>() {
            @Override
            public Map<String, Object> read(Config config, String path) {
                Config m = config.getConfig(path);
                for (String k : m.root().keySet()) {
                    if (!names.contains(k)) {
                        throw new ConfigException.BadPath(path + "." + k, "unknown key; the keys are "
                                + new java.util.TreeSet<>(names));
                    }
                }
                return Collections.unmodifiableMap(new LinkedHashMap<>(m.root().unwrapped()));
            }

            @Override
            public String render(Map<String, Object> value) {
                return ConfigValueFactory.fromMap(value).render(ConfigRenderOptions.concise());
            }

            @Override
            public String describe() {
                return "object with " + String.join(", ", new java.util.TreeSet<>(names));
            }

            @Override
            public boolean object() {
                return true;
            }
        };
    }

    /** A kind read by {@code reader}; rendering uses Typesafe's conversion of the Java value. */
    static <T> ConfigKind<T> simple(String description, java.util.function.BiFunction<Config, String, T> reader) {
        return new ConfigKind<>() {
            @Override
            public T read(Config config, String path) {
                return reader.apply(config, path);
            }

            @Override
            public String describe() {
                return description;
            }
        };
    }

    /**
     * A structured kind (a list of objects, for instance) read by {@code reader} from the whole configuration, so
     * that it may also use other keys, and rendered by {@code renderer}.
     */
    static <T> ConfigKind<T> structured(String description, java.util.function.BiFunction<Config, String, T> reader,
                                        Function<T, String> renderer) {
        return new ConfigKind<>() {
            @Override
            public T read(Config config, String path) {
                return reader.apply(config, path);
            }

            @Override
            public String render(T value) {
                return renderer.apply(value);
            }

            @Override
            public String describe() {
                return description;
            }
        };
    }
}
