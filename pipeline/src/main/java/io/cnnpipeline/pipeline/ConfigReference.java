package io.cnnpipeline.pipeline;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * {@code docs/configuration.md}: every key of the embedded {@code defaults.conf} — the one file that declares the
 * keys, their defaults and their documentation (the comments above each key) — as Markdown tables, in the file's
 * order, one section per top-level block. Printed by {@code cnn-pipeline config --reference}; a test fails when the
 * committed page differs from what this produces.
 */
final class ConfigReference {
    private ConfigReference() {
    }

    /** The page's Markdown. */
    static String markdown() {
        ConfigObject root = ConfigFactory.parseResources(ConfigReference.class.getClassLoader(),
                PipelineConfig.DEFAULTS, ConfigParseOptions.defaults().setAllowMissing(false)).root();
        StringBuilder md = new StringBuilder();
        md.append("# Configuration reference\n\n")
                .append("Generated from the embedded `defaults.conf` by `bin/cnn-pipeline config --reference > "
                        + "docs/configuration.md`; do not edit by hand (`ConfigReferenceTest` fails when this page is "
                        + "stale).\n\n")
                .append("Every key with its default. Layering: `--set key=value` > `--config` files (later wins) > "
                        + "profile (the demo's) > these defaults; a key not listed here is an error (exit 2, naming the "
                        + "key), except under `spark.conf` and `train.transfer.lr-multipliers`. `${a.b}` means the "
                        + "value of key `a.b`. Sizes in bytes accept HOCON units (`128m`, `1g`).\n");
        for (Map.Entry<String, ConfigValue> section : ordered(root)) {
            md.append("\n## `").append(section.getKey()).append("`\n\n");
            List<String[]> rows = new ArrayList<>();
            if (section.getValue() instanceof ConfigObject) {
                String doc = doc(section.getValue());
                if (!doc.isEmpty()) {
                    md.append(doc).append("\n\n");
                }
                collect(section.getKey(), (ConfigObject) section.getValue(), rows);
            } else {
                rows.add(row(section.getKey(), section.getValue()));
            }
            md.append("| key | default | description |\n|---|---|---|\n");
            for (String[] r : rows) {
                md.append("| `").append(r[0]).append("` | ").append(r[1]).append(" | ").append(r[2]).append(" |\n");
            }
        }
        return md.toString();
    }

    private static void collect(String prefix, ConfigObject object, List<String[]> rows) {
        for (Map.Entry<String, ConfigValue> e : ordered(object)) {
            String key = prefix + "." + ConfigUtil.quoteString(e.getKey()).replace("\"", "");
            ConfigValue v = e.getValue();
            if (v instanceof ConfigObject o && !o.isEmpty()) {
                String doc = doc(v);
                if (!doc.isEmpty()) {
                    rows.add(new String[] {key, "", doc});
                }
                collect(key, (ConfigObject) v, rows);
            } else {
                rows.add(row(key, v));
            }
        }
    }

    private static String[] row(String key, ConfigValue v) {
        // Lists and objects as JSON (HOCON's concise form drops their braces); substitutions as ${key}.
        boolean structured = v instanceof ConfigObject || v instanceof com.typesafe.config.ConfigList;
        String rendered = v.render(ConfigRenderOptions.concise().setJson(structured)).replace("|", "\\|");
        return new String[] {key, rendered.isEmpty() ? "" : "`" + rendered + "`", doc(v)};
    }

    private static String doc(ConfigValue v) {
        List<String> lines = new ArrayList<>();
        for (String c : v.origin().comments()) {
            lines.add(c.trim());
        }
        return String.join(" ", lines).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static List<Map.Entry<String, ConfigValue>> ordered(ConfigObject object) {
        List<Map.Entry<String, ConfigValue>> entries = new ArrayList<>(object.entrySet());
        entries.sort(Comparator.comparingInt((Map.Entry<String, ConfigValue> e) -> e.getValue().origin().lineNumber())
                .thenComparing(Map.Entry::getKey));
        return entries;
    }
}
