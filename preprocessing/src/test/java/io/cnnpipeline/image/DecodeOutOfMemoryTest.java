package io.cnnpipeline.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cnnpipeline.dataset.ShardCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A decoder that runs out of heap fails loudly instead of calling a good image corrupt: a 4000×4000 RGB PNG decoded
 * in a child JVM whose heap cannot hold its pixels.
 */
class DecodeOutOfMemoryTest {
    /** Child entry: decodes the file; prints its outcome. */
    public static void main(String[] args) throws Exception {
        byte[] bytes = Files.readAllBytes(Path.of(args[0]));
        try {
            UInt8Image image = new ImageDecoder(3, 1L << 30).decode(bytes);
            System.out.println("DECODED " + image.width() + "x" + image.height());
        } catch (ImageDecodeException e) {
            System.out.println("QUARANTINED " + e.reason() + " " + e.getMessage() + " cause " + e.getCause());
        }
    }

    @Test
    void outOfMemoryIsNotAQuarantineReason(@TempDir Path tmp) throws Exception {
        // Smooth, so the file is small (the child reads it whole) while its 48 MB of pixels are not.
        int side = 4000;
        byte[] px = new byte[side * side * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) ((i / 3 / side) >> 4);
        }
        Path file = tmp.resolve("large.png");
        Files.write(file, new ImageEncoder(ShardCodec.PNG, 90).encode(new UInt8Image(side, side, 3, px)));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        Process small = new ProcessBuilder(List.of(java, "-Xmx40m", "-Djava.awt.headless=true", "-cp", cp,
                DecodeOutOfMemoryTest.class.getName(), file.toString())).redirectErrorStream(true).start();
        String out = new String(small.getInputStream().readAllBytes());
        int code = small.waitFor();
        assertTrue(code != 0 && out.contains("java.lang.OutOfMemoryError") && !out.contains("QUARANTINED"),
                "exit " + code + ": " + out);
        // With room for it, the same file decodes: it was never a bad input.
        Process big = new ProcessBuilder(List.of(java, "-Xmx768m", "-Djava.awt.headless=true", "-cp", cp,
                DecodeOutOfMemoryTest.class.getName(), file.toString())).redirectErrorStream(true).start();
        String ok = new String(big.getInputStream().readAllBytes());
        assertEquals(0, big.waitFor(), ok);
        assertTrue(ok.contains("DECODED 4000x4000"), ok);
    }
}
