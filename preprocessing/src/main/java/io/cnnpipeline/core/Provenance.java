package io.cnnpipeline.core;

import java.net.InetAddress;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * What produced an artifact — a dataset's {@code _manifest.json}, a run's {@code provenance.json}, an evaluation's
 * {@code report.json}: when, by which build of this project (version, git commit, DL4J version), on which Spark
 * application, Java, user and host. Recorded once per stage on the driver.
 *
 * @param createdAt      ISO-8601 UTC instant the stage started
 * @param projectVersion this project's version
 * @param gitCommit      git commit of the build ("unknown" outside a git checkout)
 * @param dl4jVersion    Deeplearning4j version
 * @param sparkVersion   Spark version
 * @param sparkMaster    the Spark master URL ({@code local[2]}, {@code spark://…}, {@code yarn}, …)
 * @param applicationId  Spark application id (find the job in the Spark history server)
 * @param javaVersion    the driver's Java version
 * @param user           the driver's user
 * @param host           the driver's host name
 */
public record Provenance(String createdAt, String projectVersion, String gitCommit, String dl4jVersion,
                         String sparkVersion, String sparkMaster, String applicationId, String javaVersion, String user,
                         String host) {

    /** The provenance of a stage running now in {@code spark}'s application. */
    public static Provenance of(SparkSession spark) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown";
        }
        return new Provenance(Instant.now().toString(), BuildInfo.version(), BuildInfo.gitCommit(),
                BuildInfo.dl4jVersion(), spark.version(), spark.sparkContext().master(),
                spark.sparkContext().applicationId(), System.getProperty("java.version"),
                System.getProperty("user.name"), host);
    }

    /** The fields by name, in declaration order (the form manifests and run directories store). */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("createdAt", createdAt);
        m.put("projectVersion", projectVersion);
        m.put("gitCommit", gitCommit);
        m.put("dl4jVersion", dl4jVersion);
        m.put("sparkVersion", sparkVersion);
        m.put("sparkMaster", sparkMaster);
        m.put("applicationId", applicationId);
        m.put("javaVersion", javaVersion);
        m.put("user", user);
        m.put("host", host);
        return m;
    }
}
