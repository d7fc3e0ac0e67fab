package io.cnnpipeline.dataset;

import io.cnnpipeline.image.ImageDecoder;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The shard contract, declared once: one Parquet row per image. Writers and readers refer to columns through these
 * constants, never through string literals.
 *
 * <p>Pixel convention: the {@code image} column holds the image encoded with {@code codec} ({@link ShardCodec}); once
 * decoded it is {@code height}×{@code width}×{@code channels} uint8 in HWC order, channels RGB (3) or luma (1), upright
 * (EXIF orientation applied). Every source is converted to 8 bits per channel: alpha composited on a white background,
 * 16-bit samples reduced to their high byte, palette and CMYK/YCCK through their colour model to sRGB, grey kept as
 * stored; luma is ITU-R BT.601 ({@link ImageDecoder}). Labels index {@code classes.json} (sorted class names: the
 * train input's class folders or its manifest / label-file labels).
 *
 * <p>Beside the shards a dataset directory holds {@code _manifest.json} (written last: a directory without it is not a
 * dataset), {@code classes.json}, {@code stats.json} and the {@code quarantine/} table.
 */
public final class ShardSchema {
    /** Incremented on any incompatible change of the columns below. */
    public static final int VERSION = 1;

    /** Stable record key: {@code <split input>/<path relative to the input root>}. */
    public static final Field KEY = new Field("key", DataTypes.StringType, false, "stable record key");
    /** Split the record belongs to: train, validation or test. */
    public static final Field SPLIT = new Field("split", DataTypes.StringType, false, "train | validation | test");
    /** Class index into classes.json. */
    public static final Field LABEL = new Field("label", DataTypes.IntegerType, false, "class index");
    /** Class name (the class folder). */
    public static final Field LABEL_NAME = new Field("label_name", DataTypes.StringType, false, "class name");
    /** Stored image height in pixels. */
    public static final Field HEIGHT = new Field("height", DataTypes.IntegerType, false, "pixels");
    /** Stored image width in pixels. */
    public static final Field WIDTH = new Field("width", DataTypes.IntegerType, false, "pixels");
    /** 1 (luma) or 3 (RGB). */
    public static final Field CHANNELS = new Field("channels", DataTypes.IntegerType, false, "1 or 3");
    /** png, jpeg or raw. */
    public static final Field CODEC = new Field("codec", DataTypes.StringType, false, "png | jpeg | raw");
    /** Encoded image bytes. */
    public static final Field IMAGE = new Field("image", DataTypes.BinaryType, false, "encoded image");
    /** URI of the source file. */
    public static final Field SOURCE = new Field("source", DataTypes.StringType, false, "source URI");

    /** All columns in storage order. */
    public static final List<Field> FIELDS = List.of(KEY, SPLIT, LABEL, LABEL_NAME, HEIGHT, WIDTH, CHANNELS, CODEC,
            IMAGE, SOURCE);

    /** The Spark schema of a shard. */
    public static final StructType SPARK_SCHEMA = toStruct(FIELDS);

    /** Quarantine table columns: the rejected input and why. */
    public static final StructType QUARANTINE_SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("source", DataTypes.StringType, false),
        DataTypes.createStructField("split", DataTypes.StringType, false),
        DataTypes.createStructField("reason", DataTypes.StringType, false),
        DataTypes.createStructField("exception_class", DataTypes.StringType, true),
        DataTypes.createStructField("message", DataTypes.StringType, true),
        DataTypes.createStructField("size_bytes", DataTypes.LongType, false),
    });

    private ShardSchema() {
    }

    /** One declared column. */
    public record Field(String name, DataType type, boolean nullable, String doc) {
        public StructField toStructField() {
            return DataTypes.createStructField(name, type, nullable);
        }
    }

    static StructType toStruct(List<Field> fields) {
        return new StructType(fields.stream().map(Field::toStructField).toArray(StructField[]::new));
    }

    /** File and directory names inside a dataset directory. */
    public static final String MANIFEST = "_manifest.json";
    public static final String CLASSES = "classes.json";
    public static final String STATS = "stats.json";
    public static final String SHARDS_DIR = "shards";
    public static final String QUARANTINE_DIR = "quarantine";

    /** The split names, in order. */
    public static final String TRAIN = "train";
    public static final String VALIDATION = "validation";
    public static final String TEST = "test";
}
