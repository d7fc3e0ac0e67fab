package io.cnnpipeline.training.dl4j;

import java.util.List;

/**
 * Every JVM-wide setting the pipeline makes, in one place, installed once by {@link #install()} — in the driver
 * before its first stage and in every executor as DL4J deserializes the pipeline's listeners. For applications that
 * embed the pipeline: these are the global side effects to expect (each leaves a value set with {@code -D} alone).
 *
 * <ul>
 *   <li>{@code java.awt.headless=true}: plots, contact sheets and preview grids render without a display.</li>
 *   <li>DL4J's layer helpers on ({@value LayerHelpers#DISABLE_PROPERTY}{@code =false}): oneDNN convolution, batch
 *       norm and pooling on CPU, cuDNN on CUDA; on CPU also {@link NativePooling}, libnd4j's NCHW pooling kernels
 *       (see {@link LayerHelpers#enable()}).</li>
 *   <li>{@code aeron.publication.unblock.timeout}: 60 s, above the 30 s client liveness timeout DL4J's gradient
 *       sharing sets, without which Aeron 1.32 refuses to start its media driver ({@link AeronSettings}).</li>
 *   <li>dl4j-spark's statistics time source: the system clock instead of an NTP client that needs the internet.</li>
 * </ul>
 *
 * <p>The workarounds behind these settings (the {@code org.nd4j.nativeblas.Nd4jCpu} shim that restores the oneDNN
 * helpers, {@link NativePooling}, the first-convolution shortcut, the kept worker networks) were written for
 * DL4J/ND4J {@value #DL4J_VERSION}; {@link #install()} logs a warning once when another version is on the class path
 * ({@link #dl4jVersion()}), since each may then be unnecessary or wrong (docs/dl4j-workarounds.md lists them).
 *
 * <p>Not here, because it is per thread: ND4J's OpenMP thread count follows {@code OMP_NUM_THREADS} in each thread
 * that trains ({@link OmpThreads#honourEnvironment()}).
 */
public final class JvmSettings {
    /** dl4j-spark's time-source property, and the clock it is set to (its default asks an NTP server). */
    static final String TIME_SOURCE_PROPERTY =
            org.deeplearning4j.spark.time.TimeSourceProvider.TIMESOURCE_CLASSNAME_PROPERTY;
    static final String SYSTEM_CLOCK = org.deeplearning4j.spark.time.SystemClockTimeSource.class.getName();

    /** The DL4J/ND4J release the workarounds were written for and tested with. */
    public static final String DL4J_VERSION = "1.0.0-M2";

    private static volatile boolean installed;

    private JvmSettings() {
    }

    /** Installs the settings above; idempotent and cheap after the first call. */
    public static void install() {
        if (installed) {
            return;
        }
        synchronized (JvmSettings.class) {
            if (installed) {
                return;
            }
            setIfAbsent("java.awt.headless", "true");
            LayerHelpers.enable();
            AeronSettings.apply();
            setIfAbsent(TIME_SOURCE_PROPERTY, SYSTEM_CLOCK);
            String version = dl4jVersion();
            if (!DL4J_VERSION.equals(version)) {
                org.slf4j.LoggerFactory.getLogger(JvmSettings.class).warn("DL4J {} is on the class path; the "
                        + "pipeline's DL4J workarounds were written for {} (see docs/dl4j-workarounds.md)", version,
                        DL4J_VERSION);
            }
            installed = true;
        }
    }

    /** The system properties {@link #install()} sets when they are not set already. */
    public static List<String> properties() {
        return List.of("java.awt.headless", LayerHelpers.DISABLE_PROPERTY, AeronSettings.PUBLICATION_UNBLOCK_TIMEOUT,
                TIME_SOURCE_PROPERTY);
    }

    /**
     * The version of deeplearning4j-nn on the class path, from its Maven {@code pom.properties}, or {@code unknown}
     * when the jar carries none (a shaded or repackaged build).
     */
    public static String dl4jVersion() {
        try (java.io.InputStream in = org.deeplearning4j.nn.conf.NeuralNetConfiguration.class.getResourceAsStream(
                "/META-INF/maven/org.deeplearning4j/deeplearning4j-nn/pom.properties")) {
            if (in == null) {
                return "unknown";
            }
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
