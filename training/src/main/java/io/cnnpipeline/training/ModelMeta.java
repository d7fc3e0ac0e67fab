package io.cnnpipeline.training;

import java.util.List;

/**
 * {@code model-meta.json}, written beside {@code model.zip}: what a consumer of the model needs to feed it.
 *
 * @param network        network name
 * @param classes        class names, index = output unit
 * @param inputHeight    input height in pixels
 * @param inputWidth     input width in pixels
 * @param channels       input channels (1 luma or 3 RGB)
 * @param mean           per-channel mean of [0, 1] pixel values subtracted before the network
 * @param std            per-channel standard deviation divided by
 * @param dataset        URI of the dataset the model was trained on
 * @param datasetSha256  SHA-256 of that dataset's manifest
 */
public record ModelMeta(String network, List<String> classes, int inputHeight, int inputWidth, int channels,
                        double[] mean, double[] std, String dataset, String datasetSha256) {
    public static final String FILE = "model-meta.json";
    public static final String MODEL_FILE = "model.zip";
}
