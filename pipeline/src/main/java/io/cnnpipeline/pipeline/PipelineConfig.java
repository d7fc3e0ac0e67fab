package io.cnnpipeline.pipeline;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import io.cnnpipeline.evaluation.EvaluationConfig;
import io.cnnpipeline.preprocessing.IngestConfig;
import io.cnnpipeline.preprocessing.InvalidConfigException;
import io.cnnpipeline.preprocessing.ShardCodec;
import io.cnnpipeline.preprocessing.augment.AugmentationPipeline;
import io.cnnpipeline.training.TrainingConfig;
import java.io.File;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The pipeline's configuration: HOCON (Typesafe Config) layered as {@code --set key=value} overrides &gt; config files
 * (later files win) &gt; an optional profile &gt; the embedded {@code defaults.conf}. Loading is strict: a key that
 * {@code defaults.conf} does not declare (outside the free-form {@code spark.conf}) and a value of the wrong type or
 * range are rejected with an {@link InvalidConfigException} naming the key — before any Spark work starts.
 *
 * <p>Immutable, driver-only: executors receive the typed stage settings, never this object.
 */
public final class PipelineConfig {
    static final String DEFAULTS = "cnn-pipeline/defaults.conf";
    /** Profile of the demo, embedded from {@code conf/fashion-mnist.conf}. */
    public static final String DEMO_PROFILE = "cnn-pipeline/conf/fashion-mnist.conf";
    /** Sections whose keys the user chooses (Spark settings; layer names). */
    private static final List<String> FREE_FORM = List.of("spark.conf", "train.transfer.lr-multipliers");

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
            config.getString("spark.master");
            config.getString("spark.app-name");
            config.getString("demo.fashion-mnist-dir");
            config.getString("demo.images-dir");
            InvalidConfigException.require(config.getInt("demo.train-limit") >= 0, "demo.train-limit",
                    "must be >= 0", config.getInt("demo.train-limit"));
            InvalidConfigException.require(config.getInt("demo.test-limit") >= 0, "demo.test-limit",
                    "must be >= 0", config.getInt("demo.test-limit"));
            return null;
        });
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
        Config defaults = ConfigFactory.parseResources(PipelineConfig.class.getClassLoader(), DEFAULTS,
                ConfigParseOptions.defaults().setAllowMissing(false));
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
        rejectUnknownKeys(merged, defaults);
        Config resolved;
        try {
            resolved = merged.withFallback(defaults).resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
        } catch (ConfigException e) {
            throw new InvalidConfigException(e.origin() == null ? "config" : e.origin().description(),
                    "cannot resolve: " + e.getMessage(), null);
        }
        boolean defaulted = resolved.getString("train.run-id").isEmpty();
        if (defaulted) {
            String id = "run-" + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            resolved = ConfigFactory.parseMap(Map.of("train.run-id", id)).withFallback(resolved);
        }
        return new PipelineConfig(resolved, defaulted);
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
        return new PipelineConfig(ConfigFactory.parseMap(Map.of("train.run-id", runId)).withFallback(config), false);
    }

    /** Loads the defaults with an optional profile and nothing else. */
    public static PipelineConfig defaults(String profile) {
        return load(profile, List.of(), List.of());
    }

    private static void rejectUnknownKeys(Config user, Config defaults) {
        Set<String> unknown = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            String key = e.getKey();
            if (FREE_FORM.stream().anyMatch(f -> key.startsWith(f + "."))) {
                continue;
            }
            if (!defaults.hasPathOrNull(key)) {
                String scalar = scalarPrefix(key, defaults);
                if (scalar != null) {
                    throw new InvalidConfigException(scalar, "must be a "
                            + defaults.getValue(scalar).valueType().name().toLowerCase(java.util.Locale.ROOT)
                            + ", not an object", null);
                }
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            String first = unknown.iterator().next();
            throw new InvalidConfigException(first, "unknown key" + (unknown.size() > 1 ? " (also unknown: "
                    + String.join(", ", unknown.stream().skip(1).toList()) + ")" : "")
                    + "; see cnn-pipeline config for every key", null);
        }
    }

    /** The longest proper prefix of {@code key} that {@code defaults} declares as a non-object value, or null. */
    private static String scalarPrefix(String key, Config defaults) {
        List<String> parts = com.typesafe.config.ConfigUtil.splitPath(key);
        for (int n = parts.size() - 1; n >= 1; n--) {
            String prefix = com.typesafe.config.ConfigUtil.joinPath(parts.subList(0, n));
            if (defaults.hasPath(prefix)) {
                return defaults.getValue(prefix).valueType() == com.typesafe.config.ConfigValueType.OBJECT ? null
                        : prefix;
            }
        }
        return null;
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

    private IngestConfig readPreprocess() {
        Map<String, String> inputs = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            String v = config.getString("preprocess.inputs." + split);
            if (!v.isEmpty()) {
                inputs.put(split, v);
            }
        }
        ShardCodec codec;
        try {
            codec = ShardCodec.fromId(config.getString("preprocess.codec"));
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("preprocess.codec", "must be png, jpeg or raw",
                    config.getString("preprocess.codec"));
        }
        Map<String, String> manifests = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            String v = config.getString("preprocess.manifests." + split);
            if (!v.isEmpty()) {
                manifests.put(split, v);
                // A manifest replaces the folder input that only defaults.conf set; one the user set is a conflict.
                if (DEFAULTS.equals(config.getValue("preprocess.inputs." + split).origin().resource())) {
                    inputs.remove(split);
                }
            }
        }
        Map<String, String> labelFiles = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            String v = config.getString("preprocess.label-files." + split);
            if (!v.isEmpty()) {
                labelFiles.put(split, v);
            }
        }
        return new IngestConfig(inputs, manifests, config.getString("preprocess.manifest-root"),
                config.getString("preprocess.output"), config.getInt("preprocess.short-side"),
                config.getBoolean("preprocess.centre-crop"),
                config.getInt("preprocess.channels"), codec, config.getInt("preprocess.jpeg-quality"),
                config.getLong("preprocess.max-pixels"), config.getInt("preprocess.max-records-per-file"),
                config.getBytes("preprocess.row-group-bytes"),
                config.getBytes("preprocess.partition-bytes"), config.getBytes("preprocess.file-open-cost-bytes"),
                config.getDouble("preprocess.validation-fraction"),
                config.getBoolean("preprocess.overwrite"), config.getLong("seed"),
                config.getStringList("preprocess.extensions"), config.getInt("preprocess.contact-sheet-size"),
                config.getString("preprocess.jpeg-codec"), config.getString("preprocess.turbojpeg-jar"),
                config.getDouble("preprocess.test-fraction"), config.getBoolean("preprocess.stratify-splits"),
                config.getBytes("preprocess.shard-bytes"), labelFiles, config.getString("preprocess.path-glob"),
                config.getBoolean("preprocess.jpeg-dct-scaling"));
    }

    private TrainingConfig readTrain() {
        AugmentationPipeline augmentation = AugmentationConfig.read(config);
        return new TrainingConfig(config.getString("train.dataset"), config.getString("train.runs-dir"),
                config.getString("train.run-id"), config.getString("train.network"), config.getInt("train.epochs"),
                config.getInt("train.workers"), config.getInt("train.batch-size-per-worker"),
                config.getInt("train.averaging-frequency"), config.getInt("train.prefetch-batches"),
                config.getString("train.rdd-training-approach"), config.getString("train.updater"),
                config.getDouble("train.learning-rate"), config.getDouble("train.momentum"),
                config.getDouble("train.weight-decay"), augmentation, config.getInt("train.train-accuracy-sample"),
                config.getBoolean("train.collect-training-stats"), config.getLong("seed"),
                new io.cnnpipeline.training.LearningRateSchedule(config.getString("train.lr-schedule.type"),
                        config.getDoubleList("train.lr-schedule.milestones"),
                        config.getDouble("train.lr-schedule.gamma"), config.getDouble("train.lr-schedule.power"),
                        config.getDouble("train.lr-schedule.min-lr"),
                        config.getDouble("train.lr-schedule.warmup-epochs"),
                        config.getDouble("train.lr-schedule.warmup-start-factor"),
                        config.getInt("train.lr-schedule.plateau-patience"),
                        config.getDouble("train.lr-schedule.plateau-factor")),
                config.getInt("train.reference-batch-size"), config.getString("train.gradient-clipping"),
                config.getDouble("train.gradient-clipping-threshold"), config.getString("train.weight-init"),
                config.getInt("train.checkpoint-every-epochs"), config.getDouble("train.checkpoint-every-minutes"),
                config.getInt("train.keep-checkpoints"), config.getString("train.resume"), readBatchSchedule(),
                config.getInt("train.early-stopping-patience"), config.getBoolean("train.lars"),
                config.getDouble("train.lars-trust-coefficient"), readTransfer(), readGradientSharing(),
                config.getString("train.cache-mode"), config.getDouble("train.width-multiplier"),
                config.getDouble("train.epoch-timeout-minutes"));
    }

    private io.cnnpipeline.training.TrainingConfig.GradientSharing readGradientSharing() {
        String master = config.getString("train.training-master");
        InvalidConfigException.require(master.equals("parameter-averaging") || master.equals("gradient-sharing"),
                "train.training-master", "must be parameter-averaging or gradient-sharing", master);
        com.typesafe.config.Config g = config.getConfig("train.gradient-sharing");
        return new io.cnnpipeline.training.TrainingConfig.GradientSharing(master.equals("gradient-sharing"),
                g.getString("threshold-algorithm"), g.getDouble("threshold"), g.getDouble("min-sparsity"),
                g.getDouble("max-sparsity"), g.getString("controller-address"), g.getInt("controller-port"),
                g.getString("network-mask"), g.getInt("workers-per-node"));
    }

    private io.cnnpipeline.training.TrainingConfig.Transfer readTransfer() {
        java.util.Map<String, Double> multipliers = new java.util.TreeMap<>();
        com.typesafe.config.Config m = config.getConfig("train.transfer.lr-multipliers");
        for (java.util.Map.Entry<String, com.typesafe.config.ConfigValue> e : m.root().entrySet()) {
            multipliers.put(e.getKey(), m.getDouble(com.typesafe.config.ConfigUtil.quoteString(e.getKey())));
        }
        return new io.cnnpipeline.training.TrainingConfig.Transfer(config.getString("train.transfer.from"),
                config.getString("train.transfer.freeze-up-to"), config.getBoolean("train.transfer.replace-output"),
                multipliers);
    }

    /** {@code train.batch-size-schedule}: a list of {epoch, batch-size-per-worker} objects. */
    private java.util.SortedMap<Integer, Integer> readBatchSchedule() {
        java.util.SortedMap<Integer, Integer> schedule = new java.util.TreeMap<>();
        List<? extends com.typesafe.config.Config> entries = config.getConfigList("train.batch-size-schedule");
        for (int i = 0; i < entries.size(); i++) {
            com.typesafe.config.Config e = entries.get(i);
            String key = "train.batch-size-schedule[" + i + "]";
            InvalidConfigException.require(e.hasPath("epoch") && e.hasPath("batch-size-per-worker")
                    && e.root().size() == 2, key, "must be {epoch = N, batch-size-per-worker = B}", e.root().render(
                    com.typesafe.config.ConfigRenderOptions.concise()));
            InvalidConfigException.require(schedule.put(e.getInt("epoch"), e.getInt("batch-size-per-worker")) == null,
                    key, "epoch " + e.getInt("epoch") + " is listed twice", e.getInt("epoch"));
        }
        return schedule;
    }

    private EvaluationConfig readEvaluate() {
        String runDir = config.getString("evaluate.run-dir");
        if (runDir.isEmpty()) {
            runDir = stripSlash(config.getString("train.runs-dir")) + "/" + config.getString("train.run-id");
        }
        String output = config.getString("evaluate.output");
        if (output.isEmpty()) {
            output = stripSlash(runDir) + "/evaluation";
        }
        return new EvaluationConfig(config.getString("evaluate.dataset"), runDir, config.getString("evaluate.model"),
                output,
                config.getString("evaluate.split"), config.getInt("evaluate.crop-size"),
                config.getInt("evaluate.centre-scale"), config.getIntList("evaluate.scales"),
                config.getInt("evaluate.batch-size"));
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

    /** Whether {@code evaluate.run-dir} names a run directory (rather than following {@code train.run-id}). */
    public boolean evaluateRunDirSet() {
        return !config.getString("evaluate.run-dir").isEmpty();
    }

    public long seed() {
        return config.getLong("seed");
    }

    public String sparkMaster() {
        return config.getString("spark.master");
    }

    public String sparkAppName() {
        return config.getString("spark.app-name");
    }

    /** Extra Spark settings from {@code spark.conf}. */
    public Map<String, String> sparkConf() {
        Map<String, String> out = new LinkedHashMap<>();
        Config c = config.getConfig("spark.conf");
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            out.put(e.getKey().replace("\"", ""), String.valueOf(e.getValue().unwrapped()));
        }
        return out;
    }

    public String demoFashionMnistDir() {
        return config.getString("demo.fashion-mnist-dir");
    }

    public String demoImagesDir() {
        return config.getString("demo.images-dir");
    }

    public int demoTrainLimit() {
        return config.getInt("demo.train-limit");
    }

    public int demoTestLimit() {
        return config.getInt("demo.test-limit");
    }

    /** The resolved configuration as HOCON text, as written to {@code config.resolved.conf}. */
    public String render() {
        return config.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
    }

    /** The underlying resolved Typesafe Config. */
    public Config raw() {
        return config;
    }
}
