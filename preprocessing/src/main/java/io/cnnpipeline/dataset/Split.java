package io.cnnpipeline.dataset;

import io.cnnpipeline.core.config.ConfigEnum;

/** A dataset split; its {@link #id()} is the {@code split} column's value and the configuration's spelling. */
public enum Split implements ConfigEnum {
    TRAIN, VALIDATION, TEST
}
