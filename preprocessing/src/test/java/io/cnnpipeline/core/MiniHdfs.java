package io.cnnpipeline.core;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.DFSConfigKeys;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/** An in-process HDFS (Hadoop's MiniDFSCluster) bound to 127.0.0.1, for tests; one DataNode unless told. Close it when done. */
public final class MiniHdfs implements AutoCloseable {
    private final MiniDFSCluster cluster;
    private final File base;

    public MiniHdfs() throws IOException {
        this(1);
    }

    /** With {@code dataNodes} DataNodes, files replicated on min(dataNodes, 2) of them by default. */
    public MiniHdfs(int dataNodes) throws IOException {
        base = Files.createTempDirectory("minihdfs").toFile();
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.getAbsolutePath());
        conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
        conf.set("dfs.namenode.http-bind-host", "127.0.0.1");
        conf.set("dfs.datanode.address", "127.0.0.1:0");
        conf.set("dfs.datanode.http.address", "127.0.0.1:0");
        conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
        conf.setBoolean("dfs.permissions.enabled", false);
        conf.setInt("dfs.replication", Math.min(dataNodes, 2));
        // A NameNode that re-replicates within seconds, for the tests that stop and restart DataNodes: check for
        // under-replicated blocks every second, DataNodes take commands every second, and a scheduled copy that
        // failed (its target DataNode was still coming back) is scheduled again after 5 s instead of Hadoop's 300.
        conf.setInt(DFSConfigKeys.DFS_NAMENODE_REDUNDANCY_INTERVAL_SECONDS_KEY, 1);
        conf.setLong(DFSConfigKeys.DFS_HEARTBEAT_INTERVAL_KEY, 1);
        conf.setInt(DFSConfigKeys.DFS_NAMENODE_RECONSTRUCTION_PENDING_TIMEOUT_SEC_KEY, 5);
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(dataNodes).build();
        cluster.waitActive();
    }

    /** {@code hdfs://127.0.0.1:<port>} */
    public String uri() {
        return "hdfs://127.0.0.1:" + cluster.getNameNodePort();
    }

    /** The cluster, for what a test does to it (quotas, safe mode, DataNodes). */
    public MiniDFSCluster cluster() {
        return cluster;
    }

    public Configuration configuration() {
        return cluster.getConfiguration(0);
    }

    @Override
    public void close() {
        cluster.shutdown();
        TestImages.deleteRecursively(base.toPath());
    }
}
