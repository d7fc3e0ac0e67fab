package io.cnnpipeline.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.cnnpipeline.core.InvalidConfigException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Builds a stage's settings record from its {@link ConfigKey}s: every value not {@link #set} is the key's declared
 * default, so {@code TrainingConfig.builder().set(TrainingConfig.EPOCHS, 30).build()} is the configuration the
 * defaults describe with 30 epochs. The record's components are bound to keys by name: component {@code batchSizePerWorker}
 * of a record for section {@code train} is key {@code train.batch-size-per-worker}; a component that is itself a
 * record binds to the subsection of its name ({@code lrSchedule} → {@code train.lr-schedule.*}); a component with no
 * key in the section binds to the top-level key of its name ({@code seed}). The record's constructor validates.
 *
 * <p>Not thread-safe; one builder per configuration.
 *
 * @param <R> the settings record
 */
public final class ConfigBuilder<R extends Record> {
    private final Class<R> type;
    private final String prefix;
    private final Map<String, ConfigKey<?>> keys = new LinkedHashMap<>();
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final List<Consumer<ConfigBuilder<R>>> beforeBuild = new ArrayList<>();
    private Config defaults;
    /** The defaults with the values set so far over them; rebuilt after a {@link #set}. */
    private Config combined;

    /**
     * @param type    the record to build
     * @param section the record's configuration section, whose keys (with its subsections') it binds
     * @param extra   further keys its components bind to (top-level ones such as {@code seed})
     */
    public ConfigBuilder(Class<R> type, ConfigGroup section, ConfigKey<?>... extra) {
        this.type = type;
        this.prefix = section.name();
        for (ConfigKey<?> k : section.keys()) {
            keys.put(k.name(), k);
        }
        for (ConfigKey<?> k : extra) {
            keys.put(k.name(), k);
        }
    }

    /** Runs {@code step} at the start of {@link #build()} (for defaults that depend on which keys were set). */
    public ConfigBuilder<R> beforeBuild(Consumer<ConfigBuilder<R>> step) {
        beforeBuild.add(step);
        return this;
    }

    /**
     * Sets a key's value (validated when the record is built).
     *
     * @throws IllegalArgumentException when the key is not one of this record's
     */
    public <T> ConfigBuilder<R> set(ConfigKey<T> key, T value) {
        if (keys.get(key.name()) != key) {
            throw new IllegalArgumentException(key.name() + " is not a setting of " + type.getSimpleName());
        }
        values.put(key.name(), value);
        combined = null;
        return this;
    }

    /** Whether {@link #set} gave {@code key} a value. */
    public boolean isSet(ConfigKey<?> key) {
        return values.containsKey(key.name());
    }

    /** The value {@link #set} for {@code key}, else its default (null when it defaults to a key this record lacks). */
    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        if (values.containsKey(key.name())) {
            return (T) values.get(key.name());
        }
        String ref = key.defaultReference();
        if (ref != null) {
            ConfigKey<?> target = keys.get(ref);
            return target == null ? null : (T) get(target);
        }
        return key.kind().read(withSetValues(), key.name());
    }

    /** The defaults with the values set so far layered over them, for defaults that read other keys. */
    private Config withSetValues() {
        if (combined != null) {
            return combined;
        }
        if (defaults == null) {
            defaults = ConfigGroup.defaults(new ArrayList<>(keys.values()));
        }
        StringBuilder hocon = new StringBuilder();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            String rendered = render(keys.get(e.getKey()), e.getValue());
            if (rendered != null) {
                hocon.append(e.getKey()).append(" = ").append(rendered).append('\n');
            }
        }
        combined = hocon.length() == 0 ? defaults : ConfigFactory.parseString(hocon.toString(),
                ConfigParseOptions.defaults()).withFallback(defaults).resolve();
        return combined;
    }

    @SuppressWarnings("unchecked")
    private static <T> String render(ConfigKey<T> key, Object value) {
        try {
            return value == null ? null : key.render((T) value);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Builds the record.
     *
     * @throws InvalidConfigException naming the key of a value the record rejects
     */
    public R build() {
        for (Consumer<ConfigBuilder<R>> step : beforeBuild) {
            step.accept(this);
        }
        return bind(type, prefix);
    }

    private <T extends Record> T bind(Class<T> recordType, String at) {
        RecordComponent[] components = recordType.getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            types[i] = c.getType();
            String name = kebab(c.getName());
            ConfigKey<?> key = keys.get(at + "." + name);
            if (key == null && c.getType().isRecord()) {
                args[i] = bind(c.getType().asSubclass(Record.class), at + "." + name);
                continue;
            }
            key = key != null ? key : keys.get(name);
            if (key == null) {
                throw new IllegalStateException(recordType.getName() + "." + c.getName() + " has no key " + at + "."
                        + name);
            }
            args[i] = get(key);
        }
        try {
            Constructor<T> constructor = recordType.getDeclaredConstructor(types);
            return constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + recordType.getName(), e);
        }
    }

    /**
     * Sets every key from the components of {@code record} (a copy to modify: {@code builder().from(config)
     * .set(EPOCHS, 5).build()}).
     */
    public ConfigBuilder<R> from(R record) {
        visit(record, prefix, (key, value) -> values.put(key.name(), value));
        combined = null;
        return this;
    }

    /**
     * The record's values as HOCON, one {@code key = value} line per key (a value without a HOCON form, such as an
     * augmentation pipeline built in Java, as a comment): what a run directory's {@code config.resolved.conf} holds
     * when the settings come from Java rather than from configuration files.
     */
    public String render(R record) {
        StringBuilder out = new StringBuilder();
        visit(record, prefix, (key, value) -> {
            String rendered = render(key, value);
            out.append(rendered == null ? "# " + key.name() + ": set from Java (" + value.getClass().getSimpleName()
                    + ")" : key.name() + " = " + rendered).append('\n');
        });
        return out.toString();
    }

    private void visit(Record record, String at, java.util.function.BiConsumer<ConfigKey<?>, Object> visitor) {
        for (RecordComponent c : record.getClass().getRecordComponents()) {
            Object value;
            try {
                value = c.getAccessor().invoke(record);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            String name = kebab(c.getName());
            ConfigKey<?> key = keys.get(at + "." + name);
            if (key == null && value instanceof Record nested) {
                visit(nested, at + "." + name, visitor);
                continue;
            }
            key = key != null ? key : keys.get(name);
            if (key != null) {
                visitor.accept(key, value);
            }
        }
    }

    /** {@code batchSizePerWorker} → {@code batch-size-per-worker}. */
    static String kebab(String camel) {
        StringBuilder b = new StringBuilder();
        for (char ch : camel.toCharArray()) {
            if (Character.isUpperCase(ch)) {
                b.append('-').append(Character.toLowerCase(ch));
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }
}
