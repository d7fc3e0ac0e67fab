package io.cnnpipeline.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A section of the configuration ({@code train}, {@code train.lr-schedule}, ...): its documentation and the
 * {@link ConfigKey}s and subsections declared in it, in declaration order. Keys are declared through its factory
 * methods, which register them here. Groups are filled while their declaring class initializes and read-only after.
 */
public final class ConfigGroup {
    /** Origin description of the configuration built from the declared defaults. */
    public static final String DEFAULTS_ORIGIN = "cnn-pipeline defaults";

    private final String name;
    private final String doc;
    private final List<Object> entries = new ArrayList<>();

    private ConfigGroup(String name, String doc) {
        this.name = name;
        this.doc = doc;
    }

    /** A top-level section, e.g. {@code train}; "" is the root (keys such as {@code seed}). */
    public static ConfigGroup section(String name, String doc) {
        return new ConfigGroup(name, doc);
    }

    /** A subsection {@code <this>.<name>}. */
    public synchronized ConfigGroup group(String subName, String subDoc) {
        ConfigGroup g = new ConfigGroup(path(subName), subDoc);
        entries.add(g);
        return g;
    }

    public String name() {
        return name;
    }

    public String doc() {
        return doc;
    }

    /** Keys and subgroups in declaration order (each a {@link ConfigKey} or a {@link ConfigGroup}). */
    public synchronized List<Object> entries() {
        return Collections.unmodifiableList(new ArrayList<>(entries));
    }

    /** Every key of this group and its subgroups, in declaration order. */
    public List<ConfigKey<?>> keys() {
        List<ConfigKey<?>> out = new ArrayList<>();
        for (Object e : entries()) {
            if (e instanceof ConfigKey<?> k) {
                out.add(k);
            } else {
                out.addAll(((ConfigGroup) e).keys());
            }
        }
        return out;
    }

    /** The declared default values of {@code keys} as a resolved configuration; keys defaulting to another key's value are left out. */
    public static Config defaults(List<ConfigKey<?>> keys) {
        StringBuilder hocon = new StringBuilder();
        for (ConfigKey<?> k : keys) {
            if (k.defaultReference() == null) {
                hocon.append(k.name()).append(" = ").append(k.defaultHocon()).append('\n');
            }
        }
        return ConfigFactory.parseString(hocon.toString(),
                ConfigParseOptions.defaults().setOriginDescription(DEFAULTS_ORIGIN))
                .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
    }

    public <T> ConfigKey<T> key(String keyName, ConfigKind<T> kind, T defaultValue) {
        return hocon(keyName, kind, kind.render(defaultValue));
    }

    /** A key whose default is given as HOCON text (structured values, or {@code ${other.key}}). */
    public synchronized <T> ConfigKey<T> hocon(String keyName, ConfigKind<T> kind, String defaultHocon) {
        ConfigKey<T> k = new ConfigKey<>(this, path(keyName), kind, defaultHocon, "", "", null, "");
        entries.add(k);
        return k;
    }

    public ConfigKey<String> string(String keyName, String defaultValue) {
        return key(keyName, ConfigKind.STRING, defaultValue);
    }

    public ConfigKey<Integer> integer(String keyName, int defaultValue) {
        return key(keyName, ConfigKind.INT, defaultValue);
    }

    public ConfigKey<Long> longInteger(String keyName, long defaultValue) {
        return key(keyName, ConfigKind.LONG, defaultValue);
    }

    public ConfigKey<Double> number(String keyName, double defaultValue) {
        return key(keyName, ConfigKind.DOUBLE, defaultValue);
    }

    public ConfigKey<Boolean> bool(String keyName, boolean defaultValue) {
        return key(keyName, ConfigKind.BOOLEAN, defaultValue);
    }

    /** A size in bytes (HOCON units accepted). */
    public ConfigKey<Long> bytes(String keyName, long defaultValue) {
        return key(keyName, ConfigKind.BYTES, defaultValue).unit("bytes");
    }

    public <E extends Enum<E> & ConfigEnum> ConfigKey<E> choice(String keyName, E defaultValue) {
        return key(keyName, ConfigKind.of(defaultValue.getDeclaringClass()), defaultValue);
    }

    synchronized <T> void replace(ConfigKey<T> old, ConfigKey<T> next) {
        int i = entries.indexOf(old);
        if (i < 0) {
            throw new IllegalStateException(old.name() + " is not declared in " + name);
        }
        entries.set(i, next);
    }

    private String path(String sub) {
        return name.isEmpty() ? sub : name + "." + sub;
    }

    @Override
    public String toString() {
        return name;
    }
}
