package io.cnnpipeline.training.dl4j;

import java.lang.reflect.Field;
import java.util.Set;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.cpu.nativecpu.ops.NativeOpExecutioner;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs 2-D max and average pooling on NCHW arrays with libnd4j's own CPU kernels instead of oneDNN's.
 *
 * <p>With the oneDNN build ({@code nd4j-native:linux-x86_64-onednn}) libnd4j hands {@code maxpool2d},
 * {@code maxpool2d_bp}, {@code avgpool2d} and {@code avgpool2d_bp} to oneDNN, whose pooling on plain NCHW arrays is
 * several times slower than libnd4j's: measured on one thread for LeNet's first pooling layer (32×20×24×24 → 12×12,
 * 2×2 stride 2) 4.4 ms forward and 7.1 ms backward with oneDNN, 0.67 and 2.3 ms with libnd4j's kernels — in a
 * profile of LeNet training, pooling took 29% of the time. Convolutions stay on oneDNN (3–7× faster than libnd4j's
 * im2col + gemm there). libnd4j lets a single op opt out of platform helpers through its op context
 * ({@code OpContext.allowHelpers(false)}); this executioner does that for those four ops on NCHW inputs and leaves
 * every other op unchanged. DL4J's subsampling layer and its oneDNN helper run their pooling through
 * {@code Nd4j.exec}, so both take this path.
 *
 * <p>{@link #install()} makes it ND4J's executioner in this JVM (ND4J reads the class once, at initialization, from
 * its backend properties; a JVM may have initialized ND4J before any of this project's code ran, so the instance is
 * replaced). Set the system property {@value #DISABLE_PROPERTY} to {@code true} to keep oneDNN's pooling.
 */
public class NativePooling extends NativeOpExecutioner {
    /** {@code true} keeps oneDNN pooling (for comparisons). */
    public static final String DISABLE_PROPERTY = "cnnpipeline.onednn-pooling";

    private static final Logger LOG = LoggerFactory.getLogger(NativePooling.class);
    private static final Set<String> POOLING = Set.of("maxpool2d", "maxpool2d_bp", "avgpool2d", "avgpool2d_bp");
    /** Index of the data-format integer argument of libnd4j's 2-D pooling ops (0 = NCHW, 1 = NHWC). */
    private static final int DATA_FORMAT_ARG = 10;

    /**
     * Makes this ND4J's executioner unless the property {@value #DISABLE_PROPERTY} is {@code true} or the backend's
     * executioner is not the plain CPU one (the CUDA backend, or already installed). Idempotent and thread-safe; an
     * op already running on the previous instance completes there.
     */
    public static synchronized void install() {
        if (Boolean.getBoolean(DISABLE_PROPERTY)) {
            return;
        }
        OpExecutioner current = Nd4j.getExecutioner();
        if (current.getClass() != NativeOpExecutioner.class) {
            return;
        }
        NativePooling replacement = new NativePooling();
        replacement.setProfilingMode(current.getProfilingMode());
        try {
            Field instance = Nd4j.class.getDeclaredField("OP_EXECUTIONER_INSTANCE");
            instance.setAccessible(true);
            instance.set(null, replacement);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("Cannot install libnd4j pooling kernels; pooling stays on oneDNN: {}", e.toString());
        }
    }

    /** Whether ND4J's executioner in this JVM is this one. */
    public static boolean installed() {
        return Nd4j.getExecutioner() instanceof NativePooling;
    }

    @Override
    public org.nd4j.linalg.api.ndarray.INDArray[] exec(CustomOp op, OpContext context) {
        if (POOLING.contains(op.opName()) && nchw(op)) {
            context.allowHelpers(false);
        }
        return super.exec(op, context);
    }

    private static boolean nchw(CustomOp op) {
        long[] args = op.iArgs();
        return args.length <= DATA_FORMAT_ARG || args[DATA_FORMAT_ARG] == 0;
    }
}
