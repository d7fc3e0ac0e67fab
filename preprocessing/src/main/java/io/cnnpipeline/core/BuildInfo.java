package io.cnnpipeline.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Versions and the git commit this build was made from, recorded in manifests and run provenance. */
public final class BuildInfo {
    private static final Properties PROPS = new Properties();

    static {
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                PROPS.load(in);
            }
        } catch (IOException ignored) {
            // leave the properties empty: every getter then answers "unknown"
        }
    }

    private BuildInfo() {
    }

    public static String version() {
        return get("version");
    }

    public static String dl4jVersion() {
        return get("dl4j.version");
    }

    /** The git commit id of the build, or {@code unknown} when built outside a git checkout. */
    public static String gitCommit() {
        return get("git.commit");
    }

    private static String get(String key) {
        String v = PROPS.getProperty(key, "");
        return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
    }
}
