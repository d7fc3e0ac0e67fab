package io.cnnpipeline.image;

import java.io.File;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * libjpeg-turbo's TurboJPEG (SIMD JPEG decoding, about 2.6× ImageIO's on this project's photos) through its Java
 * binding as Debian ships it: {@code libturbojpeg-java} ({@code /usr/share/java/turbojpeg.jar}, not on Maven Central)
 * with the native {@code libturbojpeg.so} of {@code libturbojpeg0}. Loaded at run time from the jar path in its own
 * class loader, once per JVM, so the build and the Spark jar do not depend on it; a node without the package gets a
 * clear error when the job starts.
 *
 * <p>Decoding and encoding use TurboJPEG's accurate integer DCT (as IJG libjpeg's default, which ImageIO uses);
 * decoding stops on libjpeg warnings. Executor-safe.
 */
public final class TurboJpeg {
    /** Where Debian's libturbojpeg-java installs the binding. */
    public static final String DEBIAN_JAR = "/usr/share/java/turbojpeg.jar";
    static final int PF_RGB = 0;
    static final int PF_GRAY = 6;
    /** CMYK pixels, stored inverted as Adobe's applications write them; TurboJPEG encodes them as YCCK. */
    static final int PF_CMYK = 11;
    private static final int SAMP_420 = 2;
    private static final int SAMP_GRAY = 3;
    private static final int FLAG_ACCURATEDCT = 4096;
    private static final int FLAG_STOPONWARNING = 8192;
    private static final Map<String, TurboJpeg> LOADED = new ConcurrentHashMap<>();

    private final MethodHandle create;
    private final MethodHandle width;
    private final MethodHandle height;
    private final MethodHandle decompress;
    private final MethodHandle close;
    /**
     * The DCT scaling factors used, as {numerator, denominator}, smallest first: the supported 1/2, 1/4 and 1/8,
     * which libjpeg-turbo computes with SIMD reduced IDCTs. Its other factors (3/8, 5/8, 3/4, 7/8) run plain C
     * kernels and measured slower than a full-size decode on 0.15 MP photos.
     */
    private final int[][] reductions;
    private final MethodHandle createCompressor;
    private final MethodHandle setSubsampling;
    private final MethodHandle setQuality;
    private final MethodHandle compress;
    private final MethodHandle compressedSize;
    private final MethodHandle closeCompressor;

    private TurboJpeg(ClassLoader loader) throws ReflectiveOperationException {
        Class<?> d = Class.forName("org.libjpegturbo.turbojpeg.TJDecompressor", true, loader);
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        create = lookup.findConstructor(d, MethodType.methodType(void.class, byte[].class));
        width = lookup.findVirtual(d, "getWidth", MethodType.methodType(int.class));
        height = lookup.findVirtual(d, "getHeight", MethodType.methodType(int.class));
        decompress = lookup.findVirtual(d, "decompress", MethodType.methodType(byte[].class, int.class, int.class,
                int.class, int.class, int.class));
        close = lookup.findVirtual(d, "close", MethodType.methodType(void.class));
        Class<?> tj = Class.forName("org.libjpegturbo.turbojpeg.TJ", true, loader);
        Class<?> factor = Class.forName("org.libjpegturbo.turbojpeg.TJScalingFactor", true, loader);
        Object[] factors;
        try {
            factors = (Object[]) tj.getMethod("getScalingFactors").invoke(null);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new ReflectiveOperationException("TJ.getScalingFactors failed", e.getCause());
        }
        List<int[]> list = new ArrayList<>();
        for (Object f : factors) {
            int num = (int) factor.getMethod("getNum").invoke(f);
            int denom = (int) factor.getMethod("getDenom").invoke(f);
            if (num == 1 && denom > 1) {
                list.add(new int[] {num, denom});
            }
        }
        list.sort((a, b) -> Double.compare((double) a[0] / a[1], (double) b[0] / b[1]));
        reductions = list.toArray(new int[0][]);
        Class<?> c = Class.forName("org.libjpegturbo.turbojpeg.TJCompressor", true, loader);
        createCompressor = lookup.findConstructor(c, MethodType.methodType(void.class, byte[].class, int.class,
                int.class, int.class, int.class, int.class, int.class));
        setSubsampling = lookup.findVirtual(c, "setSubsamp", MethodType.methodType(void.class, int.class));
        setQuality = lookup.findVirtual(c, "setJPEGQuality", MethodType.methodType(void.class, int.class));
        compress = lookup.findVirtual(c, "compress", MethodType.methodType(byte[].class, int.class));
        compressedSize = lookup.findVirtual(c, "getCompressedSize", MethodType.methodType(int.class));
        closeCompressor = lookup.findVirtual(c, "close", MethodType.methodType(void.class));
    }

    /**
     * The binding in {@code jar} (loaded once per JVM and jar), with its native library.
     *
     * @throws IllegalStateException if the jar or the native library cannot be loaded, with the package to install
     */
    public static TurboJpeg load(String jar) {
        return LOADED.computeIfAbsent(jar, j -> {
            File file = new File(j);
            if (!file.isFile()) {
                throw new IllegalStateException("Cannot load TurboJPEG: " + j + " does not exist (apt-get install "
                        + "libturbojpeg-java libturbojpeg0)");
            }
            try {
                // Initializing TJDecompressor loads libturbojpeg.so (TJLoader), so a missing native fails here.
                return new TurboJpeg(new BindingLoader(file.toURI().toURL()));
            } catch (ReflectiveOperationException | LinkageError | java.net.MalformedURLException e) {
                throw new IllegalStateException("Cannot load TurboJPEG from " + j + ": " + e
                        + " (apt-get install libturbojpeg-java libturbojpeg0)", e);
            }
        });
    }

    /**
     * The binding's class loader. The binding's {@code TJLoader} calls {@code System.loadLibrary("turbojpeg")} and then
     * tries {@code /usr/lib/x86_64-linux-gnu/libturbojpeg.so}, the unversioned name only {@code libturbojpeg0-dev}
     * installs; Debian's {@code libturbojpeg-java} depends on {@code libturbojpeg0} alone, which ships
     * {@code libturbojpeg.so.0}. The JVM asks the calling class's loader for a library's path first, so this loader
     * answers with the runtime library when {@code java.library.path} has no {@code libturbojpeg.so}.
     */
    private static final class BindingLoader extends URLClassLoader {
        static {
            ClassLoader.registerAsParallelCapable();
        }

        BindingLoader(URL jar) {
            super(new URL[] {jar}, TurboJpeg.class.getClassLoader());
        }

        @Override
        protected String findLibrary(String name) {
            String found = super.findLibrary(name);
            if (found != null || !"turbojpeg".equals(name)) {
                return found;
            }
            List<String> dirs = new ArrayList<>(
                    Arrays.asList(System.getProperty("java.library.path", "").split(File.pathSeparator)));
            String arch = System.getProperty("os.arch");
            String multiarch = "amd64".equals(arch) ? "x86_64" : arch;
            dirs.addAll(List.of("/usr/lib/" + multiarch + "-linux-gnu", "/usr/lib64", "/usr/lib",
                    "/usr/local/lib", "/opt/libjpeg-turbo/lib64"));
            for (String file : new String[] {"libturbojpeg.so", "libturbojpeg.so.0"}) {
                for (String dir : dirs) {
                    File candidate = new File(dir, file);
                    if (!dir.isEmpty() && candidate.isFile()) {
                        return candidate.getAbsolutePath();
                    }
                }
            }
            return null;
        }
    }

    /** Whether {@code bytes} starts like a JPEG (SOI marker). */
    static boolean isJpeg(byte[] bytes) {
        return bytes.length > 3 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8 && (bytes[2] & 0xFF) == 0xFF;
    }

    /**
     * Decodes a JPEG to HWC uint8 RGB ({@code channels} 3) or luma (1, the JPEG's own Y channel).
     *
     * @throws ImageDecodeException {@code too-many-pixels} from the header
     * @throws Exception anything TurboJPEG rejects (unsupported colour spaces such as CMYK, corrupt data); callers fall
     *                   back to ImageIO, which decides between unusual and corrupt
     */
    UInt8Image decode(byte[] bytes, int channels, long maxPixels) throws Throwable {
        return decode(bytes, channels, maxPixels, 0);
    }

    /**
     * Decodes a JPEG, reduced in the DCT domain (libjpeg's scaled inverse DCT: 1/2, 1/4 or 1/8) by the largest factor
     * that keeps the short side at or above {@code minShortSide} pixels; 0 decodes at full size. The reduced IDCT keeps
     * only the low frequencies, so it is an antialiased downscale, and it is cheaper than decoding every pixel.
     *
     * @throws ImageDecodeException {@code too-many-pixels} from the header (of the full-size image)
     */
    UInt8Image decode(byte[] bytes, int channels, long maxPixels, int minShortSide) throws Throwable {
        Object d = create.invoke(bytes);
        try {
            int w = (int) width.invoke(d);
            int h = (int) height.invoke(d);
            if ((long) w * h > maxPixels) {
                throw new ImageDecodeException("too-many-pixels", w + "x" + h + " = " + ((long) w * h)
                        + " pixels exceeds the limit of " + maxPixels);
            }
            int[] size = reducedSize(w, h, minShortSide);
            byte[] px = (byte[]) decompress.invoke(d, size[0], 0, size[1], channels == 3 ? PF_RGB : PF_GRAY,
                    FLAG_ACCURATEDCT | FLAG_STOPONWARNING);
            return new UInt8Image(size[0], size[1], channels, px);
        } finally {
            close.invoke(d);
        }
    }

    /**
     * The {width, height} of the smallest DCT-scaled decode of a {@code w}×{@code h} JPEG whose short side is at least
     * {@code minShortSide} (libjpeg's scaled size: ceil(side × M / 8)); the full size if no reduction qualifies.
     */
    public int[] reducedSize(int w, int h, int minShortSide) {
        if (minShortSide > 0) {
            for (int[] f : reductions) {
                int sw = (w * f[0] + f[1] - 1) / f[1];
                int sh = (h * f[0] + f[1] - 1) / f[1];
                if (Math.min(sw, sh) >= minShortSide) {
                    return new int[] {sw, sh};
                }
            }
        }
        return new int[] {w, h};
    }

    /**
     * Encodes an image as baseline JPEG: RGB with 4:2:0 chroma subsampling (as ImageIO's writer does) or greyscale.
     *
     * @param image   HWC uint8, 1 or 3 channels
     * @param quality IJG quality 1..100
     * @throws IllegalStateException if TurboJPEG fails
     */
    byte[] encode(UInt8Image image, int quality) {
        return encode(image.pixels(), image.width(), image.height(), image.channels() == 3 ? PF_RGB : PF_GRAY,
                quality);
    }

    /**
     * Encodes interleaved pixels of a TurboJPEG pixel format ({@link #PF_RGB}, {@link #PF_GRAY}, {@link #PF_CMYK})
     * with 4:2:0 subsampling for colour.
     */
    byte[] encode(byte[] pixels, int width, int height, int pixelFormat, int quality) {
        try {
            Object c = createCompressor.invoke(pixels, 0, 0, width, 0, height, pixelFormat);
            try {
                setSubsampling.invoke(c, pixelFormat == PF_GRAY ? SAMP_GRAY : SAMP_420);
                setQuality.invoke(c, quality);
                byte[] buffer = (byte[]) compress.invoke(c, FLAG_ACCURATEDCT);
                return Arrays.copyOf(buffer, (int) compressedSize.invoke(c));
            } finally {
                closeCompressor.invoke(c);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("TurboJPEG cannot encode a " + width + "x" + height + " image: " + e, e);
        }
    }
}
