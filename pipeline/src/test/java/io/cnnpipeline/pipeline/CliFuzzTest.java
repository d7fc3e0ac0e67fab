package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.core.config.ConfigKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input everywhere: every declared key given a value of the wrong type and extreme numbers, unknown keys and
 * broken configuration files. The CLI always answers with exit 2 and one error line naming the key (or the file),
 * never a stack trace; the stage commands load the configuration before they start Spark, so a refused one never
 * starts it.
 */
class CliFuzzTest {
    /** Runs a command and checks the contract of a configuration error; returns its stderr. */
    private static String refused(String what, String... args) {
        String[] r = CliTest.run(args);
        assertEquals("2", r[0], what + ": exit code; stderr " + r[2]);
        assertTrue(r[2].startsWith("error: "), what + ": " + r[2]);
        assertFalse(r[2].contains("\tat ") || r[2].contains("Exception"), what + ": no stack trace: " + r[2]);
        assertEquals(1, r[2].strip().lines().count(), what + ": one line: " + r[2]);
        return r[2];
    }

    @Test
    void everyKeyWithAValueOfTheWrongTypeIsNamed() {
        List<String> unnamed = new ArrayList<>();
        for (ConfigKey<?> k : PipelineConfig.keys()) {
            // A list of lists is no key's type: not a number, string, boolean, enum, list of scalars or object.
            String err = refused(k.name(), "config", "--set", k.name() + "=[[1]]");
            if (!err.contains(k.name())) {
                unnamed.add(k.name() + " -> " + err.strip());
            }
        }
        assertTrue(unnamed.isEmpty(), "errors that do not name their key: " + unnamed);
    }

    @Test
    void extremeNumbersAreAcceptedOrRefusedWithTheKeyNamed() {
        int refusedCount = 0;
        for (ConfigKey<?> k : PipelineConfig.keys()) {
            String kind = k.kind().describe();
            if (!(kind.equals("integer") || kind.equals("number") || kind.equals("bytes"))) {
                continue;
            }
            for (String v : List.of("-1", "-2147483648", "1e300", "0.5")) {
                String[] r = CliTest.run("config", "--set", k.name() + "=" + v);
                assertTrue(r[0].equals("0") || r[0].equals("2"), k.name() + "=" + v + ": " + r[2]);
                if (r[0].equals("2")) {
                    refusedCount++;
                    // The key itself, or the key it conflicts with, naming this one (min-sparsity > max-sparsity).
                    assertTrue(r[2].startsWith("error: Cannot use " + k.name()) || r[2].startsWith("error: Cannot use ")
                            && r[2].contains(k.shortName()), k.name() + "=" + v + ": " + r[2]);
                    assertFalse(r[2].contains("\tat "), k.name() + "=" + v + ": " + r[2]);
                }
            }
        }
        assertTrue(refusedCount > 50, "most numbers have a range: " + refusedCount + " refusals");
    }

    @Test
    void unknownKeysAndBrokenFilesAreRefusedBeforeWork(@TempDir Path tmp) throws Exception {
        assertTrue(refused("misspelt key", "train", "--set", "train.epochz=3").contains("train.epochz"));
        assertTrue(refused("unknown section", "preprocess", "--set", "trian.epochs=3").contains("trian.epochs"));
        assertTrue(refused("not key=value", "train", "--set", "train.epochs").contains("--set"));
        Path syntax = tmp.resolve("syntax.conf");
        Files.writeString(syntax, "train {\n  epochs = 3\n");
        assertTrue(refused("unclosed brace", "train", "--config", syntax.toString()).contains("--config"));
        Path unknown = tmp.resolve("unknown.conf");
        Files.writeString(unknown, "train.learning-rat = 0.1\n");
        assertTrue(refused("unknown key in a file", "evaluate", "--config", unknown.toString())
                .contains("train.learning-rat"));
        Path typed = tmp.resolve("typed.conf");
        Files.writeString(typed, "predict.top-k = many\n");
        assertTrue(refused("wrong type in a file", "run", "--config", typed.toString()).contains("predict.top-k"));
        assertTrue(refused("missing file", "train", "--config", tmp.resolve("none.conf").toString())
                .contains("--config"));
        Files.write(tmp.resolve("binary.conf"), new byte[] {0, (byte) 0xff, 0x13, '{', '{'});
        refused("binary garbage", "train", "--config", tmp.resolve("binary.conf").toString());
    }
}
