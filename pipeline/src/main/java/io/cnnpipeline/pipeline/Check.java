package io.cnnpipeline.pipeline;

import io.cnnpipeline.dataset.DatasetDirectory;
import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.dataset.ShardSchema;
import io.cnnpipeline.training.Checkpoints;
import io.cnnpipeline.training.RunDirectory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * {@code cnn-pipeline check}: a dry run of a stage's preconditions against the configuration, the dataset directory
 * and the runs directory, without Spark — for finding out before a cluster is taken that the input folder is
 * missing, the dataset already exists, there is nothing to resume, or the run has no model yet. Reads only
 * metadata (listings, manifests, pointers) through Hadoop's filesystem API.
 */
final class Check {
    /** One finding: whether the stage can go ahead, and what was seen. */
    record Finding(boolean ok, String stage, String message) {
        @Override
        public String toString() {
            return (ok ? "ok      " : "problem ") + stage + ": " + message;
        }
    }

    private Check() {
    }

    /** The findings of the preprocess, train and evaluate stages for this configuration. */
    static List<Finding> run(PipelineConfig config, Configuration hadoop) {
        List<Finding> out = new ArrayList<>();
        var pre = config.preprocess();
        for (var e : pre.inputs().entrySet()) {
            boolean exists = HadoopFiles.exists(HadoopFiles.fs(e.getValue(), hadoop), new Path(e.getValue()));
            out.add(new Finding(exists, "preprocess", "input " + e.getKey() + " " + e.getValue()
                    + (exists ? " exists" : " does not exist")));
        }
        for (var e : pre.manifests().entrySet()) {
            boolean exists = HadoopFiles.exists(HadoopFiles.fs(e.getValue(), hadoop), new Path(e.getValue()));
            out.add(new Finding(exists, "preprocess", "manifest " + e.getKey() + " " + e.getValue()
                    + (exists ? " exists" : " does not exist")));
        }
        boolean datasetThere = hasDataset(pre.output(), hadoop);
        out.add(new Finding(!datasetThere || pre.overwrite(), "preprocess", "output " + pre.output()
                + (datasetThere ? (pre.overwrite() ? " holds a dataset that will be replaced (overwrite = true)"
                : " holds a dataset already (set preprocess.overwrite = true to replace it)") : " is free")));

        var train = config.train();
        String dataset = train.dataset();
        if (hasDataset(dataset, hadoop)) {
            DatasetDirectory d = DatasetDirectory.open(dataset, hadoop);
            out.add(new Finding(true, "train", "dataset " + d.uri() + ": " + d.classes().size() + " classes, "
                    + d.manifest().written() + " images"));
        } else {
            out.add(new Finding(dataset.equals(pre.output()), "train", "dataset " + dataset + " is not written yet"
                    + (dataset.equals(pre.output()) ? " (the preprocess stage writes it)" : "")));
        }
        FileSystem fs = HadoopFiles.fs(train.runsDir(), hadoop);
        Path runsDir = fs.makeQualified(new Path(train.runsDir()));
        Optional<String> latest = RunDirectory.latest(fs, runsDir);
        String runId = config.runIdDefaulted() && train.resume() != io.cnnpipeline.training.TrainingConfig.ResumeMode.FALSE && latest.isPresent()
                ? latest.get() : train.runId();
        Path runDir = new Path(runsDir, runId);
        boolean runExists = HadoopFiles.exists(fs, runDir);
        boolean checkpoint = runExists && new Checkpoints(fs, runDir, train.keepCheckpoints()).latest() != null;
        switch (train.resume()) {
            case TRUE -> out.add(new Finding(checkpoint, "train", "resume run " + runDir
                    + (checkpoint ? ": has a checkpoint" : runExists ? ": has no checkpoint" : ": does not exist")));
            case AUTO -> out.add(new Finding(true, "train", "run " + runDir
                    + (checkpoint ? " continues from its checkpoint" : " starts")));
            default -> out.add(new Finding(!runExists, "train", "new run " + runDir
                    + (runExists ? " exists already (choose another --run-id, or --resume)" : " is free")));
        }

        String evalRun = config.evaluateRunDirSet() ? config.evaluate().runDir()
                : config.runIdDefaulted() ? latest.map(id -> new Path(runsDir, id).toString()).orElse(null)
                : config.evaluate().runDir();
        if (evalRun == null) {
            out.add(new Finding(false, "evaluate", "no run to evaluate: " + runsDir + " has no latest run "
                    + "(train first, or give --run-id)"));
        } else {
            var e = config.evaluate();
            Path model = e.modelFile() != null ? new Path(evalRun, e.modelFile()) : new Path(e.model());
            boolean exists = HadoopFiles.exists(HadoopFiles.fs(model.toString(), hadoop), model);
            out.add(new Finding(exists, "evaluate", "model " + model + (exists ? " exists"
                    : " does not exist (yet: the train stage writes it)")));
        }
        return out;
    }

    private static boolean hasDataset(String uri, Configuration hadoop) {
        return HadoopFiles.exists(HadoopFiles.fs(uri, hadoop), new Path(uri, ShardSchema.MANIFEST));
    }
}
