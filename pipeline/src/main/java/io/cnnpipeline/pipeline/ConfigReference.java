package io.cnnpipeline.pipeline;

import io.cnnpipeline.core.config.ConfigGroup;
import io.cnnpipeline.core.config.ConfigKey;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code docs/configuration.md}: every declared {@link ConfigKey} — name, type, unit, default, rule and documentation —
 * as Markdown tables, one section per top-level block, in declaration order. Printed by
 * {@code cnn-pipeline config --reference}; a test fails when the committed page differs from what this produces.
 */
final class ConfigReference {
    private ConfigReference() {
    }

    /** The page's Markdown. */
    static String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Configuration reference\n\n")
                .append("Generated from the keys' declarations (`ConfigKey` constants in `IngestConfig`, "
                        + "`TrainingConfig`, `AugmentationConfig`, `EvaluationConfig`, `PipelineConfig` and "
                        + "`CoreKeys`) by `bin/cnn-pipeline config --reference > docs/configuration.md`; do not edit "
                        + "by hand (`ConfigReferenceTest` fails when this page is stale).\n\n")
                .append("Layering: `--set key=value` > `--config` files (later wins) > profile (the demo's) > these "
                        + "defaults; a key not listed here is an error (exit 2, naming the key), except the members "
                        + "of `spark.conf` and `train.transfer.lr-multipliers`. `${a.b}` means the value of key "
                        + "`a.b`. Sizes in bytes accept HOCON units (`128m`, `1g`). From Java, every key is a "
                        + "constant of its stage's settings record: `TrainingConfig.builder().set(TrainingConfig.EPOCHS, "
                        + "30)`.\n");
        String section = null;
        for (ConfigGroup g : PipelineConfig.SECTIONS) {
            String title = g.name().isEmpty() ? "seed" : g.name();
            if (!title.equals(section)) {
                md.append("\n## `").append(title).append("`\n\n")
                        .append("| key | type | default | description |\n|---|---|---|---|\n");
                section = title;
            }
            rows(g, md);
        }
        return md.toString();
    }

    private static void rows(ConfigGroup group, StringBuilder md) {
        for (Object e : group.entries()) {
            if (e instanceof ConfigKey<?> k) {
                String type = k.kind().describe() + (k.unit().isEmpty() ? "" : " (" + k.unit() + ")");
                String doc = k.description();
                md.append("| `").append(k.name()).append("` | ").append(cell(type)).append(" | `")
                        .append(k.defaultHocon().replace("|", "\\|")).append("` | ").append(cell(doc)).append(" |\n");
            } else {
                ConfigGroup sub = (ConfigGroup) e;
                if (!sub.doc().isEmpty()) {
                    md.append("| `").append(sub.name()).append(".*` | | | ").append(cell(sub.doc())).append(" |\n");
                }
                rows(sub, md);
            }
        }
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** {@code text} broken into lines of at most {@code width} characters at spaces. */
    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.length() > 0 ? " " : "").append(word);
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }
}
