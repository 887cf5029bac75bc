package dev.keel.spark;

import dev.keel.core.embed.Embedder;
import dev.keel.core.testkit.TestEmbedders;
import org.apache.spark.sql.SparkSession;

/** One local Spark session ({@code local[2]}, loopback, no UI) for the module's tests. */
final class SparkTestSession {

    private static SparkSession session;

    private SparkTestSession() {
    }

    static synchronized SparkSession get() {
        if (session == null) {
            session = SparkSession.builder().appName("keel-spark-test").master("local[2]")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.default.parallelism", "2")
                    .getOrCreate();
            session.sparkContext().setLogLevel("WARN");
            Runtime.getRuntime().addShutdownHook(new Thread(session::stop));
        }
        return session;
    }

    /** The tests' embedder on every executor: hashed bag of words, 64 dimensions. */
    static final class Hashing implements EmbedderFactory {
        private static final long serialVersionUID = 1L;

        @Override
        public Embedder create() {
            return new TestEmbedders.Hashing(64);
        }

        @Override
        public String key() {
            return "test/hashing-64";
        }
    }
}
