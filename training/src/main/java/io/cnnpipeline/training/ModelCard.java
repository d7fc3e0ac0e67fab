package io.cnnpipeline.training;

import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * {@code model-card.json} and {@code model-card.md} beside a trained or exported model (after Mitchell et al. 2019,
 * "Model Cards for Model Reporting", reduced to what this pipeline knows for certain): the network, its parameter
 * count, the input contract, the classes, the training data's hashes, a digest of the training configuration, the
 * test accuracy of each evaluation per crop mode, and where and when it was made. Training writes the card,
 * evaluation adds its results, export adds the exported file.
 *
 * @param network             network name ({@code train.network})
 * @param parameters          trainable parameters
 * @param input               what the network takes
 * @param classes             class names, index = output unit
 * @param dataset             URI of the training dataset
 * @param datasetManifestSha256 SHA-256 of the dataset's {@code _manifest.json}
 * @param datasetContentSha256  the dataset's content fingerprint (independent of shard layout)
 * @param trainingConfigSha256  SHA-256 of the run's {@code config.resolved.conf}
 * @param epochs              epochs trained
 * @param evaluations         test results, one per (model file, dataset, split), latest last
 * @param exports             exported files of the model
 * @param date                when the card was first written (ISO-8601 UTC)
 * @param gitCommit           commit of the code that trained
 * @param dl4jVersion         Deeplearning4j version that trained
 */
public record ModelCard(String network, long parameters, Input input, List<String> classes, String dataset,
                        String datasetManifestSha256, String datasetContentSha256, String trainingConfigSha256,
                        int epochs, List<Evaluation> evaluations, List<Export> exports, String date,
                        String gitCommit, String dl4jVersion) {
    /** File name of the JSON card. */
    public static final String JSON = "model-card.json";
    /** File name of the Markdown card. */
    public static final String MARKDOWN = "model-card.md";

    /**
     * The input contract.
     *
     * @param layout       tensor layout, {@code NCHW}
     * @param channels     1 or 3
     * @param channelOrder {@code RGB} or {@code luma}
     * @param height       pixels
     * @param width        pixels
     * @param pixelRange   value range of a pixel before normalization: uint8 / 255, in [0, 1]
     * @param mean         per-channel mean subtracted (of [0, 1] values)
     * @param std          per-channel standard deviation divided by
     * @param preparation  how an image file becomes the input tensor
     */
    public record Input(String layout, int channels, String channelOrder, int height, int width, String pixelRange,
                        double[] mean, double[] std, String preparation) {
        static Input of(ModelMeta meta) {
            return new Input("NCHW", meta.channels(), meta.channels() == 3 ? "RGB" : "luma", meta.inputHeight(),
                    meta.inputWidth(), "[0, 1] (uint8 / 255)", meta.mean(), meta.std(),
                    "decode (EXIF orientation applied), resize the short side, centre crop (or the 10 crops) of "
                            + meta.inputWidth() + "x" + meta.inputHeight() + ", (x - mean) / std per channel");
        }
    }

    /**
     * One evaluation's results.
     *
     * @param model   model file evaluated ({@code model.zip}, {@code best-model.zip}, ...)
     * @param dataset URI of the dataset
     * @param split   split evaluated
     * @param images  images evaluated
     * @param top1    top-1 accuracy per crop mode, in [0, 1]
     * @param top5    top-5 accuracy per crop mode (top-k when fewer classes), in [0, 1]
     * @param date    when (ISO-8601 UTC)
     */
    public record Evaluation(String model, String dataset, String split, long images, Map<String, Double> top1,
                             Map<String, Double> top5, String date) {
    }

    /**
     * One exported file.
     *
     * @param format     e.g. {@code onnx}
     * @param file       URI of the file
     * @param sha256     SHA-256 of its bytes
     * @param details    format specifics (opset, parity against DL4J, ...)
     * @param date       when (ISO-8601 UTC)
     */
    public record Export(String format, String file, String sha256, Map<String, Object> details, String date) {
    }

    /** The card of a model trained with {@code meta} from a run whose resolved configuration is {@code config}. */
    public static ModelCard of(ModelMeta meta, long parameters, String datasetContentSha256, byte[] config,
                               int epochs) {
        return new ModelCard(meta.network(), parameters, Input.of(meta), meta.classes(), meta.dataset(),
                meta.datasetSha256(), datasetContentSha256,
                config == null ? null : io.cnnpipeline.dataset.DatasetDirectory.sha256(config), epochs, List.of(),
                List.of(), java.time.Instant.now().toString(), io.cnnpipeline.core.BuildInfo.gitCommit(),
                io.cnnpipeline.core.BuildInfo.dl4jVersion());
    }

    /** This card with {@code e} replacing an earlier evaluation of the same model, dataset and split. */
    public ModelCard withEvaluation(Evaluation e) {
        List<Evaluation> out = new ArrayList<>();
        for (Evaluation old : evaluations) {
            if (!(old.model().equals(e.model()) && old.dataset().equals(e.dataset()) && old.split().equals(e.split()))) {
                out.add(old);
            }
        }
        out.add(e);
        return new ModelCard(network, parameters, input, classes, dataset, datasetManifestSha256,
                datasetContentSha256, trainingConfigSha256, epochs, List.copyOf(out), exports, date, gitCommit,
                dl4jVersion);
    }

    /** This card with {@code e} added (replacing an earlier export to the same file). */
    public ModelCard withExport(Export e) {
        List<Export> out = new ArrayList<>();
        for (Export old : exports) {
            if (!old.file().equals(e.file())) {
                out.add(old);
            }
        }
        out.add(e);
        return new ModelCard(network, parameters, input, classes, dataset, datasetManifestSha256,
                datasetContentSha256, trainingConfigSha256, epochs, evaluations, List.copyOf(out), date, gitCommit,
                dl4jVersion);
    }

    /** Writes {@code model-card.json} and {@code model-card.md} into {@code dir}, each atomically. */
    public void write(FileSystem fs, Path dir) {
        HadoopFiles.writeAtomically(fs, new Path(dir, JSON), Json.toBytes(this));
        HadoopFiles.writeAtomically(fs, new Path(dir, MARKDOWN), markdown().getBytes(StandardCharsets.UTF_8));
    }

    /** The card in {@code dir}, or null if there is none. */
    public static ModelCard read(FileSystem fs, Path dir) {
        Path p = new Path(dir, JSON);
        return HadoopFiles.exists(fs, p) ? Json.fromBytes(HadoopFiles.read(fs, p), ModelCard.class) : null;
    }

    /** The card as Markdown. */
    public String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# Model card: ").append(network).append("\n\n");
        b.append(String.format(Locale.ROOT, "- **Network**: %s, %,d parameters, trained %d epochs%n", network,
                parameters, epochs));
        b.append(String.format(Locale.ROOT, "- **Input**: float32 %s [N, %d, %d, %d], %s, pixels %s, normalized "
                        + "(x - mean) / std with mean %s and std %s%n", input.layout(), input.channels(),
                input.height(), input.width(), input.channelOrder(), input.pixelRange(), format(input.mean()),
                format(input.std())));
        b.append("- **Preparation**: ").append(input.preparation()).append('\n');
        b.append("- **Output**: softmax probabilities [N, ").append(classes.size()).append("]\n");
        b.append("- **Classes** (index = output unit): ");
        for (int i = 0; i < classes.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(i).append(" `").append(classes.get(i)).append('`');
        }
        b.append("\n- **Training data**: ").append(dataset).append(" (manifest SHA-256 `")
                .append(datasetManifestSha256).append("`, content `").append(datasetContentSha256).append("`)\n");
        b.append("- **Training configuration**: SHA-256 `").append(trainingConfigSha256)
                .append("` of config.resolved.conf\n");
        b.append("- **Made**: ").append(date).append(", git ").append(gitCommit).append(", DL4J ")
                .append(dl4jVersion).append("\n\n## Test accuracy\n\n");
        if (evaluations.isEmpty()) {
            b.append("Not evaluated yet (`cnn-pipeline evaluate`).\n");
        } else {
            List<String> modes = new ArrayList<>(evaluations.get(evaluations.size() - 1).top1().keySet());
            b.append("| model | split | images |");
            for (String m : modes) {
                b.append(' ').append(m).append(" top-1 | ").append(m).append(" top-5 |");
            }
            b.append("\n|---|---|---:|").append("---:|---:|".repeat(modes.size())).append('\n');
            for (Evaluation e : evaluations) {
                b.append("| ").append(e.model()).append(" | ").append(e.split()).append(" | ").append(e.images())
                        .append(" |");
                for (String m : modes) {
                    b.append(String.format(Locale.ROOT, " %.2f%% | %.2f%% |", 100 * e.top1().getOrDefault(m,
                            Double.NaN), 100 * e.top5().getOrDefault(m, Double.NaN)));
                }
                b.append('\n');
            }
        }
        if (!exports.isEmpty()) {
            b.append("\n## Exports\n\n");
            for (Export e : exports) {
                b.append("- ").append(e.format()).append(": ").append(e.file()).append(" (SHA-256 `")
                        .append(e.sha256()).append("`)");
                Map<String, Object> d = new LinkedHashMap<>(e.details());
                if (!d.isEmpty()) {
                    b.append(": ").append(d);
                }
                b.append('\n');
            }
        }
        return b.toString();
    }

    private static String format(double[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", v[i]));
        }
        return b.append(']').toString();
    }
}
