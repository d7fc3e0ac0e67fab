package io.cnnpipeline.training.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import scala.reflect.ClassTag$;

/** Spark's KryoSerializer with the profiles' registrator: INDArrays and records survive a round trip. */
class KryoRegistratorTest {
    record Prediction(String key, int label, float[] probabilities, INDArray features) implements Serializable {
    }

    private static SerializerInstance kryo(String registrator) {
        return new KryoSerializer(new SparkConf(false).set("spark.kryo.registrator", registrator)).newInstance();
    }

    private static <T> T roundTrip(SerializerInstance kryo, T value) {
        ByteBuffer bytes = kryo.serialize(value, ClassTag$.MODULE$.apply(Object.class));
        return kryo.deserialize(bytes, ClassTag$.MODULE$.apply(Object.class));
    }

    @Test
    void recordsAndNdArraysRoundTrip() {
        SerializerInstance kryo = kryo(KryoRegistrator.class.getName());
        INDArray features = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 3, 4);
        Prediction p = new Prediction("train/3/img-17.png", 3, new float[] {0.1f, 0.9f}, features);
        Prediction back = roundTrip(kryo, List.of(p)).get(0);
        assertEquals(p.key(), back.key());
        assertEquals(3, back.label());
        assertEquals(0.9f, back.probabilities()[1]);
        assertEquals(features, back.features());
        assertEquals(features, roundTrip(kryo, features));
        assertEquals(Map.of("a", List.of(1, 2, 3)), roundTrip(kryo, Map.of("a", List.of(1, 2, 3))));
        assertEquals(Set.of("x"), roundTrip(kryo, Collections.unmodifiableSet(new HashSet<>(Set.of("x")))));
    }

    @Test
    void nd4jsRegistratorAloneCannotWriteARecord() {
        SerializerInstance kryo = kryo(org.nd4j.kryo.Nd4jRegistrator.class.getName());
        Prediction p = new Prediction("k", 0, new float[] {1f}, Nd4j.zeros(1));
        Exception e = assertThrows(Exception.class, () -> roundTrip(kryo, p));
        assertTrue(String.valueOf(e).contains(Prediction.class.getName()), String.valueOf(e));
    }
}
