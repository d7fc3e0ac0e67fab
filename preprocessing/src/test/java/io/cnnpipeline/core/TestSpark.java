package io.cnnpipeline.core;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** One local[2] Spark session per test JVM, shared by every test class; stopped when the JVM exits. */
public final class TestSpark {
    private static SparkSession session;

    private TestSpark() {
    }

    public static synchronized SparkSession get() {
        if (session == null) {
            SparkConf conf = new SparkConf()
                    .setMaster("local[2]")
                    .setAppName("cnn-pipeline-tests")
                    .set("spark.ui.enabled", "false")
                    .set("spark.driver.host", "127.0.0.1")
                    .set("spark.driver.bindAddress", "127.0.0.1")
                    .set("spark.sql.shuffle.partitions", "4")
                    .set("spark.ui.showConsoleProgress", "false");
            session = SparkSession.builder().config(conf).getOrCreate();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> session.stop()));
        }
        return session;
    }
}
