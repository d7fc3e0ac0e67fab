package io.cnnpipeline.training;

import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.apache.spark.resource.ResourceInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds each executor's ND4J CUDA backend to the GPU that Spark's resource scheduling assigned to the executor
 * ({@code spark.executor.resource.gpu.amount = 1}, addresses from the discovery script): when the executor starts,
 * before any task creates an array, it calls ND4J's {@code CudaEnvironment.getConfiguration().useDevice(id)} and
 * turns off multi-GPU, so every task of the executor (its parameter-averaging worker) computes on that GPU only.
 * Enabled with {@code --conf spark.plugins=io.cnnpipeline.training.GpuExecutorPlugin} ({@code submit.sh} with
 * {@code GPUS_PER_EXECUTOR=1}). On the CPU build (nd4j-native) or an executor without a GPU it logs and does
 * nothing. Not verified on a GPU: no GPU reaches this project's build machines.
 */
public final class GpuExecutorPlugin implements SparkPlugin {
    private static final Logger LOG = LoggerFactory.getLogger(GpuExecutorPlugin.class);
    static final String CUDA_ENVIRONMENT = "org.nd4j.jita.conf.CudaEnvironment";

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext ctx, Map<String, String> extraConf) {
                Optional<Integer> device = device(ctx.resources());
                if (device.isEmpty()) {
                    LOG.info("GPU binding: executor {} has no GPU assigned; ND4J keeps its default device",
                            ctx.executorID());
                    return;
                }
                LOG.info("GPU binding: executor {} -> GPU {}: {}", ctx.executorID(), device.get(),
                        bind(device.get()));
            }
        };
    }

    /**
     * The GPU to use: the first address of Spark's {@code gpu} resource for this executor, if any.
     *
     * @throws IllegalArgumentException if an address is not a device number
     */
    static Optional<Integer> device(Map<String, ResourceInformation> resources) {
        ResourceInformation gpu = resources == null ? null : resources.get("gpu");
        if (gpu == null || gpu.addresses().length == 0) {
            return Optional.empty();
        }
        String address = gpu.addresses()[0].trim();
        try {
            return Optional.of(Integer.parseInt(address));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Cannot bind ND4J to GPU: Spark's gpu address '" + address
                    + "' is not a CUDA device number (check the discovery script)", e);
        }
    }

    /**
     * Restricts ND4J's CUDA backend to {@code deviceId} (by reflection: the class exists only in nd4j-cuda).
     *
     * @return what happened, for the log
     */
    static String bind(int deviceId) {
        try {
            Class<?> env = Class.forName(CUDA_ENVIRONMENT);
            Object configuration = env.getMethod("getConfiguration").invoke(env.getMethod("getInstance").invoke(null));
            configuration.getClass().getMethod("allowMultiGPU", boolean.class).invoke(configuration, false);
            configuration.getClass().getMethod("useDevice", Integer.class).invoke(configuration, deviceId);
            return "ND4J CUDA restricted to device " + deviceId;
        } catch (ClassNotFoundException e) {
            return "not bound: the ND4J CUDA backend is not on the classpath (build with -Pcuda)";
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "not bound: " + e;
        }
    }
}
