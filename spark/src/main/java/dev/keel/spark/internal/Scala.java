package dev.keel.spark.internal;

import scala.jdk.javaapi.CollectionConverters;

import java.util.List;
import java.util.Map;

/** Java collections as the Scala ones Spark's row encoders expect for array and map columns. */
public final class Scala {

    private Scala() {
    }

    /**
     * A Scala sequence view of {@code list}.
     *
     * @param list the list, or null
     * @param <T>  the element type
     * @return the sequence, or null
     */
    public static <T> scala.collection.Seq<T> seq(List<T> list) {
        return list == null ? null : CollectionConverters.asScala(list);
    }

    /**
     * A Scala map view of {@code map}.
     *
     * @param map the map, or null
     * @param <K> the key type
     * @param <V> the value type
     * @return the map, or null
     */
    public static <K, V> scala.collection.Map<K, V> map(Map<K, V> map) {
        return map == null ? null : CollectionConverters.asScala(map);
    }
}
