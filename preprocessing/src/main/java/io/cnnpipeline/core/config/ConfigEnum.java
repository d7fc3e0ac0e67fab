package io.cnnpipeline.core.config;

import java.util.Locale;

/**
 * An enumerated configuration value. Its identifier in configuration files is the constant's name in lower case with
 * {@code _} as {@code -} ({@code SMALL_CNN} is {@code small-cnn}), unless the enum overrides {@link #id()}.
 */
public interface ConfigEnum {
    /** The value as written in configuration, e.g. {@code small-cnn}. */
    default String id() {
        return ((Enum<?>) this).name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * The constant of {@code type} whose {@link #id()} is {@code id}.
     *
     * @throws IllegalArgumentException naming the accepted identifiers, for an unknown one
     */
    static <E extends Enum<E> & ConfigEnum> E parse(Class<E> type, String id) {
        for (E e : type.getEnumConstants()) {
            if (e.id().equals(id)) {
                return e;
            }
        }
        throw new IllegalArgumentException("must be one of " + ids(type));
    }

    /** The identifiers of {@code type}'s constants, in declaration order, joined by {@code |}. */
    static String ids(Class<? extends ConfigEnum> type) {
        StringBuilder b = new StringBuilder();
        for (ConfigEnum e : type.getEnumConstants()) {
            b.append(b.length() == 0 ? "" : " | ").append(e.id());
        }
        return b.toString();
    }
}
