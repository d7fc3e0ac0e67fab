package io.cnnpipeline.training.dl4j;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.nd4j.kryo.Nd4jRegistrator;

/**
 * Spark's Kryo registrator for this project ({@code spark.kryo.registrator}, set by the {@code conf/spark/}
 * profiles): ND4J's registrator (INDArrays written by ND4J's own serializer, as dl4j-spark requires with Kryo) plus
 * Java records — the project's Spark data holds records, and Kryo 4 (Spark 3.5's) cannot build a field serializer
 * for a record ({@code UnsupportedOperationException: can't get field offset on a record class}); records are
 * {@link java.io.Serializable} and written by Java serialization, as under Spark's default serializer. The same for
 * the JDK's unmodifiable collections ({@code List.of}, {@code Map.copyOf}, {@code Collections.unmodifiableList}, ...),
 * which Kryo's collection serializer would rebuild by calling their {@code add} (and fail).
 */
public class KryoRegistrator extends Nd4jRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
        super.registerClasses(kryo);
        kryo.addDefaultSerializer(Record.class, JavaSerializer.class);
        for (Class<?> c : UNMODIFIABLE) {
            kryo.addDefaultSerializer(c, JavaSerializer.class);
        }
    }

    /** The JDK's unmodifiable collection classes (their concrete classes are not public). */
    private static final List<Class<?>> UNMODIFIABLE = List.of(List.of().getClass(), List.of(1).getClass(),
            List.of(1, 2, 3).getClass(), Set.of().getClass(), Set.of(1).getClass(), Set.of(1, 2, 3).getClass(),
            Map.of().getClass(), Map.of(1, 1).getClass(), Map.of(1, 1, 2, 2).getClass(),
            List.of(1).subList(0, 1).getClass(),
            Collections.unmodifiableList(new ArrayList<>()).getClass(),
            Collections.unmodifiableList(new LinkedList<>()).getClass(),
            Collections.unmodifiableCollection(new ArrayList<>()).getClass(),
            Collections.unmodifiableSet(Set.of()).getClass(),
            Collections.unmodifiableSortedSet(new TreeSet<>()).getClass(),
            Collections.unmodifiableMap(Map.of()).getClass(),
            Collections.unmodifiableSortedMap(new TreeMap<>()).getClass(),
            Collections.emptyList().getClass(), Collections.emptyMap().getClass(), Collections.emptySet().getClass(),
            Collections.singletonList(1).getClass(), Collections.singletonMap(1, 1).getClass(),
            Collections.singleton(1).getClass());
}
