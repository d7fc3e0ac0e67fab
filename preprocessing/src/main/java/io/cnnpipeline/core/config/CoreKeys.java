package io.cnnpipeline.core.config;

/** Keys outside every stage's section. */
public final class CoreKeys {
    /** The top level of the configuration. */
    public static final ConfigGroup ROOT = ConfigGroup.section("", "");

    public static final ConfigKey<Long> SEED = ROOT.longInteger("seed", 42)
            .doc("Root seed. Every random stream (initialization, shuffling, augmentation, split assignment) derives "
                    + "from it.");

    private CoreKeys() {
    }
}
