package io.cnnpipeline.benchmarks;

import io.cnnpipeline.image.ImageDecodeException;
import io.cnnpipeline.image.ImageDecoder;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.image.Resize;
import io.cnnpipeline.dataset.ShardCodec;
import io.cnnpipeline.image.UInt8Image;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Single-thread throughput of the preprocess stage's per-image work — decode (EXIF orientation included) →
 * antialiased resize of the short side to 256 → JPEG encode (quality 90) — on encoded photographs held in memory (no
 * filesystem in the loop), with the time split by step, for each JPEG codec setting ({@link Codec}). One thread, so
 * images/s is per core. Driver-only.
 */
final class DecodeBench {
    /** One measured photo collection. */
    record Result(String photos, String decoder, int files, double meanMegapixels, long images, double seconds,
                  double imagesPerSecond, double decodeMicros, double resizeMicros, double encodeMicros) {
    }

    /** The codec settings of {@code preprocess.jpeg-codec} and {@code preprocess.jpeg-dct-scaling}. */
    enum Codec {
        /** ImageIO + TwelveMonkeys decode, ImageIO encode (the default, no system library). */
        IMAGEIO("imageio"),
        /** libjpeg-turbo decode at full size and encode. */
        TURBOJPEG("turbojpeg"),
        /** libjpeg-turbo decode reduced in the DCT domain (1/2, 1/4, 1/8) to a short side >= 256, then resize; turbo encode. */
        TURBOJPEG_DCT("turbojpeg+dct");

        final String id;

        Codec(String id) {
            this.id = id;
        }
    }

    private DecodeBench() {
    }

    /** Encoded files under {@code dir} (not recursive) whose decoded short side is at least {@code minShortSide}. */
    static List<byte[]> load(Path dir, int minShortSide) {
        List<byte[]> files = new ArrayList<>();
        ImageDecoder decoder = new ImageDecoder(3, 1L << 28);
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(Files::isRegularFile).sorted(Comparator.comparing(Path::toString)).toList()) {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                if (!(n.endsWith(".jpg") || n.endsWith(".jpeg"))) {
                    continue;
                }
                byte[] bytes = Files.readAllBytes(p);
                try {
                    if (decoder.decode(bytes).shortSide() >= minShortSide) {
                        files.add(bytes);
                    }
                } catch (ImageDecodeException e) {
                    // not a photo we can use
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir, e);
        }
        return files;
    }

    /**
     * @param turboJpegJar the TurboJPEG binding, for the turbojpeg codecs
     */
    static Result run(String name, List<byte[]> files, Codec codec, String turboJpegJar, double warmupSeconds,
                      double seconds) throws Exception {
        String jar = codec == Codec.IMAGEIO ? null : turboJpegJar;
        ImageDecoder decoder = new ImageDecoder(3, 1L << 28, jar);
        ImageEncoder encoder = new ImageEncoder(ShardCodec.JPEG, 90, jar);
        int minShortSide = codec == Codec.TURBOJPEG_DCT ? 256 : 0;
        double mp = 0;
        for (byte[] f : files) {
            UInt8Image i = decoder.decode(f);
            mp += i.width() * (double) i.height() / 1e6;
        }
        long end = System.nanoTime() + (long) (warmupSeconds * 1e9);
        int i = 0;
        while (System.nanoTime() < end) {
            encoder.encode(Resize.shortSide(decoder.decode(files.get(i++ % files.size()), minShortSide), 256));
        }
        long decode = 0;
        long resize = 0;
        long encode = 0;
        long n = 0;
        long start = System.nanoTime();
        end = start + (long) (seconds * 1e9);
        long now = start;
        while (now < end) {
            long t0 = System.nanoTime();
            UInt8Image img = decoder.decode(files.get((int) (n % files.size())), minShortSide);
            long t1 = System.nanoTime();
            UInt8Image small = Resize.shortSide(img, 256);
            long t2 = System.nanoTime();
            encoder.encode(small);
            now = System.nanoTime();
            decode += t1 - t0;
            resize += t2 - t1;
            encode += now - t2;
            n++;
        }
        double elapsed = (now - start) / 1e9;
        return new Result(name, codec.id, files.size(), mp / files.size(), n, elapsed, n / elapsed, decode / 1e3 / n,
                resize / 1e3 / n, encode / 1e3 / n);
    }

    /**
     * The same work in Pillow (Debian's {@code python3-pil}, one Python thread; {@code bench_decode_pillow.py}: DCT
     * draft to a short side of at least 256, EXIF orientation, BOX resize, JPEG q90), or {@code null} when Debian's
     * python3 cannot import PIL.
     *
     * @throws IllegalStateException with the script's output if it fails
     */
    static Result runPillow(Path dir, int minShortSide, double warmupSeconds, double seconds) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) {
            return null;
        }
        Process check = new ProcessBuilder(python.toString(), "-c", "import PIL").redirectErrorStream(true).start();
        check.getInputStream().readAllBytes();
        if (check.waitFor() != 0) {
            return null;
        }
        Path script = Files.createTempFile("bench_decode_pillow", ".py");
        try (var in = DecodeBench.class.getResourceAsStream("/cnn-pipeline/bench_decode_pillow.py")) {
            Files.write(script, in.readAllBytes());
        }
        try {
            Process p = new ProcessBuilder(python.toString(), script.toString(), dir.toString(),
                    Integer.toString(minShortSide), Double.toString(warmupSeconds), Double.toString(seconds))
                    .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int code = p.waitFor();
            for (String line : output.split("\n")) {
                if (line.startsWith("RESULT ")) {
                    return io.cnnpipeline.core.Json.MAPPER.readValue(line.substring(7), Result.class);
                }
            }
            throw new IllegalStateException("bench_decode_pillow.py exited with " + code + ":\n" + output);
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
