package io.cnnpipeline.training.dl4j;

/**
 * JVM-wide Aeron settings that gradient sharing needs in the driver and in every executor, applied before DL4J's
 * {@code AeronUdpTransport} launches its embedded media driver.
 *
 * <p>That transport sets {@code aeron.client.liveness.timeout} to 30 s, while the Aeron it ships with (1.32) keeps
 * {@code aeron.publication.unblock.timeout} at its 15 s default and refuses to start a media driver unless the unblock
 * timeout exceeds the client liveness timeout ({@code ConfigurationException: publicationUnblockTimeoutNs=15000000000
 * <= clientLivenessTimeoutNs=30000000000}). A value the user set with {@code -D} is kept.
 */
final class AeronSettings {
    static final String PUBLICATION_UNBLOCK_TIMEOUT = "aeron.publication.unblock.timeout";
    /** 60 s in nanoseconds: above the 30 s client liveness timeout DL4J sets. */
    static final String PUBLICATION_UNBLOCK_TIMEOUT_NS = "60000000000";

    private AeronSettings() {
    }

    static void apply() {
        if (System.getProperty(PUBLICATION_UNBLOCK_TIMEOUT) == null) {
            System.setProperty(PUBLICATION_UNBLOCK_TIMEOUT, PUBLICATION_UNBLOCK_TIMEOUT_NS);
        }
    }
}
