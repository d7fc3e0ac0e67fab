package io.cnnpipeline.pipeline;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import io.cnnpipeline.core.config.ConfigBuilder;
import io.cnnpipeline.core.config.ConfigGroup;
import io.cnnpipeline.core.config.ConfigKey;
import io.cnnpipeline.core.config.ConfigKind;
import io.cnnpipeline.core.config.CoreKeys;
import io.cnnpipeline.evaluation.EvaluationConfig;
import io.cnnpipeline.ingest.IngestConfig;
import io.cnnpipeline.core.InvalidConfigException;
import io.cnnpipeline.augment.AugmentationConfig;
import io.cnnpipeline.training.RunDirectory;
import io.cnnpipeline.training.TrainingConfig;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The pipeline's configuration: HOCON (Typesafe Config) layered as {@code --set key=value} overrides &gt; config files
 * (later files win) &gt; an optional profile &gt; the declared defaults. Every key is declared once, as a
 * {@link ConfigKey} in the settings record of its stage ({@link IngestConfig}, {@link TrainingConfig},
 * {@link AugmentationConfig}, {@link EvaluationConfig}) or here ({@code spark.*}, {@code demo.*}); {@link #keys()}
 * lists them all. Loading is strict: an undeclared key and a value of the wrong type or range are rejected with an
 * {@link InvalidConfigException} naming the key — before any Spark work starts.
 *
 * <p>Immutable, driver-only: executors receive the typed stage settings, never this object.
 */
public final class PipelineConfig {
    /** Profile of the demo, embedded from {@code conf/fashion-mnist.conf}. */
    public static final String DEMO_PROFILE = "cnn-pipeline/conf/fashion-mnist.conf";

    /** The {@code spark} section. */
    public static final ConfigGroup SPARK = ConfigGroup.section("spark", "");
    public static final ConfigKey<String> SPARK_MASTER = SPARK.string("master", "local[2]")
            .doc("Used only when the job is not launched by spark-submit (which sets spark.master itself).");
    public static final ConfigKey<String> SPARK_APP_NAME = SPARK.string("app-name", "cnn-pipeline")
            .doc("The Spark application's name.");
    public static final ConfigKey<Map<String, String>> SPARK_CONF = SPARK.key("conf", ConfigKind.STRING_MAP, Map.of())
            .doc("Extra Spark settings, passed through as they are, e.g. conf { \"spark.executor.memory\" = \"8g\" }.");

    /** The {@code progress} section. */
    public static final ConfigGroup PROGRESS = ConfigGroup.section("progress", "");
    public static final ConfigKey<Integer> PROGRESS_EVERY_SECONDS = PROGRESS.integer("every-seconds", 15)
            .unit("seconds")
            .validIf(n -> n >= 0, "must be >= 0")
            .doc("Time between a stage's progress lines (stage, epoch, round, loss, images done/total, images/s, ETA, "
                    + "Spark tasks), logged by io.cnnpipeline.progress; 0 = none.");

    /** The {@code tracking} section. */
    public static final ConfigGroup TRACKING = ConfigGroup.section("tracking", "");
    public static final ConfigKey<String> TRACKING_MLFLOW_URI = TRACKING.string("mlflow-uri", "")
            .validIf(u -> u.isEmpty() || u.startsWith("http://") || u.startsWith("https://"),
                    "must be empty or an http(s) URI")
            .doc("MLflow tracking server, e.g. http://mlflow:5000; empty = no tracking. train logs params (the resolved "
                    + "train.* keys, the dataset's content hash), per-epoch metrics, tags (run id, network, git commit) "
                    + "and the run's report, plots, metrics and model; evaluate logs top-1/top-5 per crop mode and its page into the "
                    + "same MLflow run. A server that is down gives one warning; the stage goes on.");
    public static final ConfigKey<String> TRACKING_EXPERIMENT = TRACKING.string("experiment", "cnn-pipeline")
            .validIf(e -> !e.isBlank() && e.length() <= 500, "must be 1 to 500 characters")
            .doc("MLflow experiment the runs are logged to (created if missing).");
    public static final ConfigKey<Integer> TRACKING_TIMEOUT_SECONDS = TRACKING.integer("timeout-seconds", 30)
            .unit("seconds")
            .validIf(n -> n > 0, "must be > 0")
            .doc("Longest wait for one call to the tracking server before tracking is turned off for the stage.");

    /** The {@code demo} section. */
    public static final ConfigGroup DEMO = ConfigGroup.section("demo", "");
    public static final ConfigKey<String> DEMO_FASHION_MNIST_DIR = DEMO.string("fashion-mnist-dir",
                    "/usr/share/datasets/fashion-mnist")
            .doc("Where Debian's dataset-fashion-mnist package puts the IDX files.");
    public static final ConfigKey<String> DEMO_IMAGES_DIR = DEMO.string("images-dir", "work/fashion-mnist/images")
            .doc("Where the demo writes the images as PNG class folders (as a user's data would arrive).");
    public static final ConfigKey<Integer> DEMO_TRAIN_LIMIT = DEMO.integer("train-limit", 0)
            .validIf(n -> n >= 0, "must be >= 0")
            .doc("Images taken from the IDX train split; 0 = all (60,000).");
    public static final ConfigKey<Integer> DEMO_TEST_LIMIT = DEMO.integer("test-limit", 0)
            .validIf(n -> n >= 0, "must be >= 0")
            .doc("Images taken from the IDX test split; 0 = all (10,000).");

    /** The sections in the order the reference and {@code cnn-pipeline config} list them. */
    static final List<ConfigGroup> SECTIONS = List.of(CoreKeys.ROOT, SPARK, IngestConfig.SECTION,
            TrainingConfig.SECTION, AugmentationConfig.SECTION, EvaluationConfig.SECTION,
            io.cnnpipeline.model.PredictionConfig.SECTION, io.cnnpipeline.pipeline.search.SearchConfig.SECTION,
            PROGRESS, TRACKING, DEMO);

    private final Config config;
    private final boolean runIdDefaulted;
    private final IngestConfig preprocess;
    private final TrainingConfig train;
    private final EvaluationConfig evaluate;

    private PipelineConfig(Config config, boolean runIdDefaulted) {
        this.config = config;
        this.runIdDefaulted = runIdDefaulted;
        this.preprocess = typed(this::readPreprocess);
        this.train = typed(this::readTrain);
        this.evaluate = typed(this::readEvaluate);
        typed(() -> {
            for (ConfigKey<?> k : List.of(SPARK_MASTER, SPARK_APP_NAME, SPARK_CONF, PROGRESS_EVERY_SECONDS,
                    TRACKING_MLFLOW_URI, TRACKING_EXPERIMENT, TRACKING_TIMEOUT_SECONDS, DEMO_FASHION_MNIST_DIR,
                    DEMO_IMAGES_DIR, DEMO_TRAIN_LIMIT, DEMO_TEST_LIMIT)) {
                k.read(config);
            }
            // Each predict key's type and range now; which input is set is checked by predict().
            for (ConfigKey<?> k : io.cnnpipeline.model.PredictionConfig.SECTION.keys()) {
                k.read(config);
            }
            // Each search key's type and range (and the space's entries) now; that the space has some and that
            // the budget fits the method are checked by search().
            for (ConfigKey<?> k : io.cnnpipeline.pipeline.search.SearchConfig.SECTION.keys()) {
                k.read(config);
            }
            return null;
        });
    }

    /** Every declared key, section by section, in declaration order. */
    public static List<ConfigKey<?>> keys() {
        List<ConfigKey<?>> out = new ArrayList<>();
        for (ConfigGroup g : SECTIONS) {
            out.addAll(g.keys());
        }
        return out;
    }

    /** The declared defaults as HOCON ({@code ${key}} where a default follows another key), unresolved. */
    private static Config defaultsConfig() {
        StringBuilder hocon = new StringBuilder();
        for (ConfigKey<?> k : keys()) {
            hocon.append(k.name()).append(" = ").append(k.defaultHocon()).append('\n');
        }
        return ConfigFactory.parseString(hocon.toString(),
                ConfigParseOptions.defaults().setOriginDescription(ConfigGroup.DEFAULTS_ORIGIN));
    }

    /**
     * Loads and validates a configuration.
     *
     * @param profile   classpath resource layered over the defaults (e.g. {@link #DEMO_PROFILE}), or null
     * @param files     configuration files, later ones override earlier ones
     * @param overrides {@code key=value} pairs (HOCON values), override everything
     * @throws InvalidConfigException on an unknown key, a missing file, a syntax error or an invalid value
     */
    public static PipelineConfig load(String profile, List<File> files, List<String> overrides) {
        Config defaults = defaultsConfig();
        Config merged = parseOverrides(overrides);
        for (int i = files.size() - 1; i >= 0; i--) {
            File f = files.get(i);
            if (!f.isFile()) {
                throw new InvalidConfigException("--config", "file does not exist", f);
            }
            try {
                merged = merged.withFallback(ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false)));
            } catch (ConfigException e) {
                throw new InvalidConfigException("--config", "cannot parse " + f + ": " + e.getMessage(), null);
            }
        }
        if (profile != null) {
            merged = merged.withFallback(ConfigFactory.parseResources(PipelineConfig.class.getClassLoader(), profile,
                    ConfigParseOptions.defaults().setAllowMissing(false)));
        }
        rejectUnknownKeys(merged);
        Config resolved;
        try {
            resolved = merged.withFallback(defaults).resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
        } catch (ConfigException e) {
            throw new InvalidConfigException(e.origin() == null ? "config" : e.origin().description(),
                    "cannot resolve: " + e.getMessage(), null);
        }
        boolean defaulted;
        try {
            defaulted = resolved.getString(TrainingConfig.RUN_ID.name()).isEmpty();
        } catch (ConfigException e) {
            throw new InvalidConfigException(TrainingConfig.RUN_ID.name(), "must be a string",
                    resolved.getValue(TrainingConfig.RUN_ID.name()).unwrapped());
        }
        if (defaulted) {
            resolved = ConfigFactory.parseMap(Map.of(TrainingConfig.RUN_ID.name(), RunDirectory.newRunId()))
                    .withFallback(resolved);
        }
        return new PipelineConfig(resolved, defaulted);
    }

    /** {@code key=value} pairs as one configuration; the first of a key wins. */
    private static Config parseOverrides(List<String> overrides) {
        Config merged = ConfigFactory.empty();
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new InvalidConfigException("--set", "expected key=value", o);
            }
            String key = o.substring(0, eq).trim();
            try {
                merged = merged.withFallback(ConfigFactory.parseString(key + " = " + o.substring(eq + 1)));
            } catch (ConfigException e) {
                throw new InvalidConfigException(key, "cannot parse the value: " + e.getMessage(), o.substring(eq + 1));
            }
        }
        return merged;
    }

    /**
     * This configuration with {@code key=value} overrides on top, validated as {@link #load} validates. Keys whose
     * defaults follow another key ({@code train.dataset = ${preprocess.output}}) keep the value they resolved to.
     *
     * @throws InvalidConfigException on an unknown key or an invalid value
     */
    public PipelineConfig with(List<String> overrides) {
        Config parsed = parseOverrides(overrides);
        rejectUnknownKeys(parsed);
        Config next = parsed.withFallback(config).resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
        return new PipelineConfig(next, runIdDefaulted && !parsed.hasPath(TrainingConfig.RUN_ID.name()));
    }

    /**
     * Whether {@code train.run-id} was left empty, so that {@link #train()} carries a freshly minted
     * {@code run-<UTC yyyyMMdd-HHmmss>}: the stages then take the runs directory's {@code latest} run where a new one
     * makes no sense (evaluate, resume).
     */
    public boolean runIdDefaulted() {
        return runIdDefaulted;
    }

    /** This configuration with {@code train.run-id} set (and the evaluation's run directory following it). */
    public PipelineConfig withRunId(String runId) {
        return new PipelineConfig(ConfigFactory.parseMap(Map.of(TrainingConfig.RUN_ID.name(), runId))
                .withFallback(config), false);
    }

    /** Loads the defaults with an optional profile and nothing else. */
    public static PipelineConfig defaults(String profile) {
        return load(profile, List.of(), List.of());
    }

    private static void rejectUnknownKeys(Config user) {
        Map<String, ConfigKey<?>> declared = new LinkedHashMap<>();
        keys().forEach(k -> declared.put(k.name(), k));
        Set<String> unknown = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            String key = e.getKey();
            if (declared.containsKey(key)) {
                continue;
            }
            ConfigKey<?> enclosing = null;
            for (ConfigKey<?> k : declared.values()) {
                if (key.startsWith(k.name() + ".")) {
                    enclosing = k;
                }
            }
            if (enclosing != null && enclosing.kind().object()) {
                continue;   // a member of an object the kind validates (spark.conf, lr-multipliers, ...)
            }
            if (enclosing != null) {
                throw new InvalidConfigException(enclosing.name(), "must be " + ConfigKey.article(enclosing.kind().describe())
                        + ", not an object", null);
            }
            unknown.add(key);
        }
        if (!unknown.isEmpty()) {
            String first = unknown.iterator().next();
            throw new InvalidConfigException(first, "unknown key" + (unknown.size() > 1 ? " (also unknown: "
                    + String.join(", ", unknown.stream().skip(1).toList()) + ")" : "")
                    + "; see cnn-pipeline config for every key", null);
        }
    }

    private static final java.util.regex.Pattern TYPED_KEY =
            java.util.regex.Pattern.compile("([A-Za-z0-9_.\\-]+) (has type .*)$");
    private static final java.util.regex.Pattern QUOTED_KEY = java.util.regex.Pattern.compile("'([^']+)'");

    /** Runs a typed reader, turning Typesafe's type errors into {@link InvalidConfigException}s that name the key. */
    private static <T> T typed(Supplier<T> reader) {
        try {
            return reader.get();
        } catch (ConfigException e) {
            String m = e.getMessage();
            java.util.regex.Matcher typed = TYPED_KEY.matcher(m);
            if (typed.find()) {
                throw new InvalidConfigException(typed.group(1), typed.group(2), null);
            }
            java.util.regex.Matcher quoted = QUOTED_KEY.matcher(m);
            throw new InvalidConfigException(quoted.find() ? quoted.group(1) : "config", m, null);
        }
    }

    /** Sets every key of {@code keys} in {@code builder} to its value in the resolved configuration. */
    private <R extends Record> ConfigBuilder<R> read(ConfigBuilder<R> builder, List<ConfigKey<?>> keys) {
        for (ConfigKey<?> k : keys) {
            copy(builder, k);
        }
        return builder;
    }

    private <R extends Record, T> void copy(ConfigBuilder<R> builder, ConfigKey<T> key) {
        builder.set(key, key.read(config));
    }

    private IngestConfig readPreprocess() {
        ConfigBuilder<IngestConfig> b = read(IngestConfig.builder(), IngestConfig.SECTION.keys());
        copy(b, CoreKeys.SEED);
        // A manifest replaces the folder input that only the defaults set; one the user set is a conflict.
        Map<String, String> inputs = new LinkedHashMap<>(b.get(IngestConfig.INPUTS));
        for (String split : b.get(IngestConfig.MANIFESTS).keySet()) {
            String at = IngestConfig.INPUTS.name() + "." + split;
            if (config.hasPath(at) && config.getValue(at).origin().description().startsWith(ConfigGroup.DEFAULTS_ORIGIN)) {
                inputs.remove(split);
            }
        }
        return b.set(IngestConfig.INPUTS, java.util.Collections.unmodifiableMap(inputs)).build();
    }

    private TrainingConfig readTrain() {
        ConfigBuilder<TrainingConfig> b = read(TrainingConfig.builder(), TrainingConfig.SECTION.keys());
        read(b, AugmentationConfig.SECTION.keys());
        copy(b, CoreKeys.SEED);
        return b.build();
    }

    private EvaluationConfig readEvaluate() {
        ConfigBuilder<EvaluationConfig> b = read(EvaluationConfig.builder(), EvaluationConfig.SECTION.keys());
        String runDir = b.get(EvaluationConfig.RUN_DIR);
        if (runDir.isEmpty()) {
            runDir = stripSlash(TrainingConfig.RUNS_DIR.read(config)) + "/" + TrainingConfig.RUN_ID.read(config);
        }
        String output = b.get(EvaluationConfig.OUTPUT);
        if (output.isEmpty()) {
            output = stripSlash(runDir) + "/" + RunDirectory.EVALUATION;
        }
        return b.set(EvaluationConfig.RUN_DIR, runDir).set(EvaluationConfig.OUTPUT, output).build();
    }

    private io.cnnpipeline.model.PredictionConfig readPredict() {
        ConfigBuilder<io.cnnpipeline.model.PredictionConfig> b = read(io.cnnpipeline.model.PredictionConfig.builder(),
                io.cnnpipeline.model.PredictionConfig.SECTION.keys());
        String runDir = b.get(io.cnnpipeline.model.PredictionConfig.RUN_DIR);
        if (runDir.isEmpty()) {
            runDir = stripSlash(TrainingConfig.RUNS_DIR.read(config)) + "/" + TrainingConfig.RUN_ID.read(config);
        }
        String output = b.get(io.cnnpipeline.model.PredictionConfig.OUTPUT);
        if (output.isEmpty()) {
            output = stripSlash(runDir) + "/predictions";
        }
        return b.set(io.cnnpipeline.model.PredictionConfig.RUN_DIR, runDir)
                .set(io.cnnpipeline.model.PredictionConfig.OUTPUT, output).build();
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    public IngestConfig preprocess() {
        return preprocess;
    }

    public TrainingConfig train() {
        return train;
    }

    public EvaluationConfig evaluate() {
        return evaluate;
    }

    /**
     * The {@code predict} settings, validated when asked for (only the {@code predict} command needs an input).
     *
     * @throws InvalidConfigException naming the key, e.g. when no input or several are set
     */
    public io.cnnpipeline.model.PredictionConfig predict() {
        return typed(this::readPredict);
    }

    /**
     * The {@code search} settings, validated when asked for (only the {@code search} command needs a space).
     *
     * @throws InvalidConfigException naming the key
     */
    public io.cnnpipeline.pipeline.search.SearchConfig search() {
        return typed(() -> read(io.cnnpipeline.pipeline.search.SearchConfig.builder(),
                io.cnnpipeline.pipeline.search.SearchConfig.SECTION.keys()).build());
    }

    /**
     * The keys whose value differs from the declared defaults, each rendered as HOCON, in declaration order (member
     * keys of objects as their whole object): a configuration file of just these, loaded without a profile, gives
     * this configuration again (but for a minted {@code train.run-id}).
     */
    public Map<String, String> changedFromDefaults() {
        Config defaults = defaultsConfig().resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
        Map<String, String> out = new LinkedHashMap<>();
        for (ConfigKey<?> k : keys()) {
            String now = config.getValue(k.name()).render(ConfigRenderOptions.concise());
            if (!now.equals(defaults.getValue(k.name()).render(ConfigRenderOptions.concise()))) {
                out.put(k.name(), now);
            }
        }
        return out;
    }

    /** Whether {@code predict.run-dir} names a run directory (rather than following {@code train.run-id}). */
    public boolean predictRunDirSet() {
        return !io.cnnpipeline.model.PredictionConfig.RUN_DIR.read(config).isEmpty();
    }

    /** Whether {@code evaluate.run-dir} names a run directory (rather than following {@code train.run-id}). */
    public boolean evaluateRunDirSet() {
        return !EvaluationConfig.RUN_DIR.read(config).isEmpty();
    }

    public long seed() {
        return CoreKeys.SEED.read(config);
    }

    public String sparkMaster() {
        return SPARK_MASTER.read(config);
    }

    public String sparkAppName() {
        return SPARK_APP_NAME.read(config);
    }

    /** Seconds between progress lines ({@code progress.every-seconds}); 0 = none. */
    public int progressEverySeconds() {
        return PROGRESS_EVERY_SECONDS.read(config);
    }

    /** The MLflow tracking server ({@code tracking.mlflow-uri}); empty = none. */
    public String trackingMlflowUri() {
        return TRACKING_MLFLOW_URI.read(config);
    }

    /** The MLflow experiment ({@code tracking.experiment}). */
    public String trackingExperiment() {
        return TRACKING_EXPERIMENT.read(config);
    }

    /** Seconds one tracking call may take ({@code tracking.timeout-seconds}). */
    public int trackingTimeoutSeconds() {
        return TRACKING_TIMEOUT_SECONDS.read(config);
    }

    /** The {@code train.*} keys of the resolved configuration, each rendered as HOCON (MLflow params). */
    public Map<String, String> trainingKeys() {
        Map<String, String> out = new java.util.TreeMap<>();
        for (ConfigKey<?> k : keys()) {
            if (k.name().startsWith("train.") && config.hasPath(k.name())) {
                out.put(k.name(), config.getValue(k.name()).render(ConfigRenderOptions.concise()));
            }
        }
        return out;
    }

    /** Extra Spark settings from {@code spark.conf}. */
    public Map<String, String> sparkConf() {
        return SPARK_CONF.read(config);
    }

    public String demoFashionMnistDir() {
        return DEMO_FASHION_MNIST_DIR.read(config);
    }

    public String demoImagesDir() {
        return DEMO_IMAGES_DIR.read(config);
    }

    public int demoTrainLimit() {
        return DEMO_TRAIN_LIMIT.read(config);
    }

    public int demoTestLimit() {
        return DEMO_TEST_LIMIT.read(config);
    }

    /**
     * Every declared key with its value in this configuration, as HOCON ({@code key = value} lines, each under its
     * documentation as comments): what {@code cnn-pipeline config} prints; loadable again with {@code --config}.
     */
    public String renderDocumented() {
        StringBuilder out = new StringBuilder();
        for (ConfigKey<?> k : keys()) {
            out.append('\n');
            for (String line : ConfigReference.wrap(k.description(), 98)) {
                out.append("# ").append(line).append('\n');
            }
            out.append(k.name()).append(" = ").append(config.getValue(k.name())
                    .render(ConfigRenderOptions.concise())).append('\n');
        }
        return out.substring(1);
    }

    /** The resolved configuration as HOCON text, as written to {@code config.resolved.conf}. */
    public String render() {
        return config.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
    }
}
