package io.cnnpipeline.dataset;

import io.cnnpipeline.image.ImageDecodeException;
import io.cnnpipeline.image.ImageEncoder;
import io.cnnpipeline.image.UInt8Image;
import org.apache.spark.sql.Row;

/**
 * One shard row with its image decoded: the record key, the class index and the HWC uint8 image. Executor-safe.
 *
 * @param key   stable record key (drives the record's random streams)
 * @param label class index
 * @param image decoded image
 */
public record ShardRecord(String key, int label, UInt8Image image) {

    /**
     * Decodes a shard row (any row that has the {@link ShardSchema} columns, in any order).
     *
     * @throws IllegalStateException naming the key if the stored image does not decode
     */
    public static ShardRecord fromRow(Row row) {
        String key = row.getAs(ShardSchema.KEY.name());
        int label = row.<Integer>getAs(ShardSchema.LABEL.name());
        ShardCodec codec = ShardCodec.fromId(row.getAs(ShardSchema.CODEC.name()));
        byte[] bytes = row.getAs(ShardSchema.IMAGE.name());
        int width = row.<Integer>getAs(ShardSchema.WIDTH.name());
        int height = row.<Integer>getAs(ShardSchema.HEIGHT.name());
        int channels = row.<Integer>getAs(ShardSchema.CHANNELS.name());
        try {
            return new ShardRecord(key, label, ImageEncoder.decodeStored(codec, bytes, width, height, channels));
        } catch (ImageDecodeException e) {
            throw new IllegalStateException("Cannot decode shard row " + key + ": " + e.getMessage(), e);
        }
    }
}
