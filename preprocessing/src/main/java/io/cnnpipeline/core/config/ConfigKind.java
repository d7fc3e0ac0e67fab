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
    ConfigKind<Map<String, Double>> NUMBER_MAP = object("object of numbers", (config, path) -> {
        Map<String, Double> out = new java.util.TreeMap<>();
        Config m = config.getConfig(path);
        for (String k : m.root().keySet()) {
            out.put(k, m.getDouble(ConfigUtil.quoteString(k)));
        }
        return Collections.unmodifiableMap(out);
    }, null);

    /** Settings passed through as they are ({@code spark.conf}): every member as a string, in file order. */
    ConfigKind<Map<String, String>> STRING_MAP = object("object", (config, path) -> {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : config.getConfig(path).entrySet()) {
            out.put(e.getKey().replace("\"", ""), String.valueOf(e.getValue().unwrapped()));
        }
        return Collections.unmodifiableMap(out);
    }, null);

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
        return object("object with " + String.join(", ", names), (config, path) -> {
            Map<String, String> out = new LinkedHashMap<>();
            Config m = config.getConfig(path);
            requireMembers(m, path, names);
            for (String k : names) {
                String v = m.hasPath(k) ? m.getString(k) : "";
                if (!v.isEmpty()) {
                    out.put(k, v);
                }
            }
            return Collections.unmodifiableMap(out);
        }, value -> {
            Map<String, String> all = new LinkedHashMap<>();
            for (String k : names) {
                all.put(k, value.getOrDefault(k, ""));
            }
            return ConfigValueFactory.fromMap(all).render(ConfigRenderOptions.concise());
        });
    }

    /**
     * An object whose member keys are those of {@code defaultHocon} (an object, e.g. a transform's parameters and
     * their defaults); another member is an error. Read as an unmodifiable map of the members' plain values.
     */
    static ConfigKind<Map<String, Object>> fixedMembers(String defaultHocon) {
        java.util.Set<String> names = new java.util.TreeSet<>(com.typesafe.config.ConfigFactory
                .parseString("v = " + defaultHocon).getObject("v").keySet());
        return object("object with " + String.join(", ", names), (config, path) -> {
            Config m = config.getConfig(path);
            requireMembers(m, path, names);
            return Collections.unmodifiableMap(new LinkedHashMap<>(m.root().unwrapped()));
        }, null);
    }

    /**
     * An object kind ({@link #object()} true): read by {@code reader}, rendered by {@code renderer}, or as the map's
     * HOCON object when it is null.
     */
    private static <V> ConfigKind<Map<String, V>> object(String description,
                                                        java.util.function.BiFunction<Config, String, Map<String, V>> reader,
                                                        Function<Map<String, V>, String> renderer) {
        return new ConfigKind<>() {
            @Override
            public Map<String, V> read(Config config, String path) {
                return reader.apply(config, path);
            }

            @Override
            public String render(Map<String, V> value) {
                return renderer != null ? renderer.apply(value)
                        : ConfigValueFactory.fromMap(value).render(ConfigRenderOptions.concise());
            }

            @Override
            public String describe() {
                return description;
            }

            @Override
            public boolean object() {
                return true;
            }
        };
    }

    /** Rejects a member of {@code m} that is not one of {@code names}, naming {@code path.member}. */
    private static void requireMembers(Config m, String path, java.util.Collection<String> names) {
        for (String k : m.root().keySet()) {
            if (!names.contains(k)) {
                throw new ConfigException.BadPath(path + "." + k, "unknown key; the keys are " + names);
            }
        }
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
