package io.cnnpipeline.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CliTest {
    private static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = Cli.out;
        PrintStream oldErr = System.err;
        Cli.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Cli.execute(args);
            return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8)};
        } finally {
            Cli.out = oldOut;
            System.setErr(oldErr);
        }
    }

    @Test
    void configErrorsExitWithTwoBeforeSparkStarts() {
        String[] r = run("train", "--set", "train.epochs=0");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("error: Cannot use train.epochs: must be >= 1 (got 0)"), r[2]);
        String[] unknown = run("--set", "preprocess.chanels=3", "preprocess");
        assertEquals("2", unknown[0]);
        assertTrue(unknown[2].contains("Cannot use preprocess.chanels: unknown key"), unknown[2]);
    }

    @Test
    void configPrintsTheResolvedConfiguration() {
        String[] r = run("config", "--demo", "--set", "train.epochs=4");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("epochs=4"), r[1]);
        assertTrue(r[1].contains("input-size=28"), r[1]);
    }

    @Test
    void unknownCommandsAreUsageErrors() {
        assertEquals("2", run("fly")[0]);
    }
}
