package io.cnnpipeline.training;

import io.cnnpipeline.core.HadoopFiles;
import io.cnnpipeline.core.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Training checkpoints in a run directory, on any Hadoop filesystem: {@code checkpoints/epoch-<N>.zip} (the network
 * with its updater state and iteration/epoch counts, DL4J {@code ModelSerializer}), its {@link State} beside it
 * ({@code epoch-<N>.json}) and {@code checkpoints/latest.json} (the newest state), each written atomically, the
 * pointer after the model, so a job killed at any moment leaves the previous checkpoint intact. A resume takes the
 * newest checkpoint that reads back ({@link #newestReadable}): a truncated or corrupt one is reported and the one before
 * it used. Checkpoints are taken at epoch ends and, with parameter averaging, between averaging rounds
 * ({@code epoch-<N>-round-<R>.zip}): the random streams of augmentation and shuffling are functions of (seed, epoch,
 * record key) and an epoch's split into rounds is seeded by (seed, epoch), so an epoch boundary, or the number of
 * rounds done, is all a resumed run needs to continue exactly as an uninterrupted one. Driver-side.
 */
public final class Checkpoints {
    static final String DIR = "checkpoints";
    static final String LATEST = "latest.json";

    /**
     * What the driver needs besides the network to continue after {@code epoch} and, for a checkpoint taken between
     * averaging rounds, after the first {@code rounds} rounds of the next epoch.
     *
     * @param epoch               last completed epoch (1-based; 0 before the first ends)
     * @param iterationCount      the network's global iteration count at the checkpoint
     * @param model               file name of the network under {@code checkpoints/}
     * @param plateauFactor       reduce-on-plateau factor in force
     * @param bestValidation      best validation accuracy so far (NaN if none)
     * @param epochsSinceBest     epochs since it improved
     * @param createdAt           ISO-8601 instant
     * @param rounds              averaging rounds of epoch {@code epoch + 1} done at the checkpoint; 0 at an epoch end
     * @param epochStartIteration the iteration count when epoch {@code epoch + 1} began (its learning-rate schedule's
     *                            origin); only meaningful when {@code rounds > 0}
     */
    public record State(int epoch, long iterationCount, String model, double plateauFactor, double bestValidation,
                        int epochsSinceBest, String createdAt, int rounds, long epochStartIteration) {
        /** Whether the checkpoint was taken inside an epoch, between two of its averaging rounds. */
        public boolean midEpoch() {
            return rounds > 0;
        }

        /** "epoch 3" or "round 7 of epoch 4", for messages. */
        public String position() {
            return midEpoch() ? "round " + rounds + " of epoch " + (epoch + 1) : "epoch " + epoch;
        }

        /** Orders checkpoints by the training they hold: epochs, then rounds into the next. */
        static final java.util.Comparator<State> PROGRESS =
                java.util.Comparator.comparingInt(State::epoch).thenComparingInt(State::rounds);
    }

    private final FileSystem fs;
    private final Path dir;
    private final int keep;

    /**
     * @param keep how many checkpoints to keep (the newest), at least 1
     */
    public Checkpoints(FileSystem fs, Path runDir, int keep) {
        this.fs = fs;
        this.dir = new Path(runDir, DIR);
        this.keep = Math.max(1, keep);
    }

    /**
     * Writes a checkpoint of {@code net} after {@code state.epoch()} and removes checkpoints beyond the newest
     * {@code keep}.
     *
     * @throws UncheckedIOException on filesystem errors
     */
    public Path write(TrainableNetwork net, State state) {
        Path model = new Path(dir, state.model());
        HadoopFiles.writeAtomically(fs, model, net.bytes());
        HadoopFiles.writeAtomically(fs, stateFile(state.model()), Json.toBytes(state));
        HadoopFiles.writeAtomically(fs, new Path(dir, LATEST), Json.toBytes(state));
        List<Path> zips = new ArrayList<>();
        try {
            for (FileStatus st : fs.listStatus(dir)) {
                String name = st.getPath().getName();
                if (name.startsWith("epoch-") && name.endsWith(".zip")) {
                    zips.add(st.getPath());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list checkpoints in " + dir, e);
        }
        zips.sort((a, b) -> b.getName().compareTo(a.getName()));   // newest first: names sort as progress
        for (int i = keep; i < zips.size(); i++) {
            if (!zips.get(i).getName().equals(state.model())) {
                HadoopFiles.deleteQuietly(fs, zips.get(i));
                HadoopFiles.deleteQuietly(fs, stateFile(zips.get(i).getName()));
            }
        }
        return model;
    }

    /** The state of a checkpoint at the end of {@code epoch} ({@code epoch-<N>.zip}). */
    static State state(int epoch, long iterationCount, double plateauFactor, double bestValidation,
                       int epochsSinceBest) {
        return new State(epoch, iterationCount, String.format(java.util.Locale.ROOT, "epoch-%04d.zip", epoch),
                plateauFactor, bestValidation, epochsSinceBest, Instant.now().toString(), 0, 0);
    }

    /**
     * The state of a checkpoint after averaging round {@code rounds} of epoch {@code completedEpochs + 1}
     * ({@code epoch-<N>-round-<R>.zip}, which sorts between {@code epoch-<N-1>.zip} and {@code epoch-<N>.zip}).
     */
    static State midEpochState(int completedEpochs, int rounds, long iterationCount, long epochStartIteration,
                               double plateauFactor, double bestValidation, int epochsSinceBest) {
        return new State(completedEpochs, iterationCount, String.format(java.util.Locale.ROOT,
                "epoch-%04d-round-%04d.zip", completedEpochs + 1, rounds), plateauFactor, bestValidation,
                epochsSinceBest, Instant.now().toString(), rounds, epochStartIteration);
    }

    /** {@code epoch-<N>.json} beside {@code epoch-<N>.zip}. */
    private Path stateFile(String model) {
        return new Path(dir, model.substring(0, model.length() - ".zip".length()) + ".json");
    }

    /** The newest checkpoint's state ({@code latest.json}), or null if there is none or it does not parse. */
    public State latest() {
        Path latest = new Path(dir, LATEST);
        if (!HadoopFiles.exists(fs, latest)) {
            return null;
        }
        try {
            return Json.fromBytes(HadoopFiles.read(fs, latest), State.class);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Whether the run has any checkpoint (readable or not). */
    public boolean any() {
        return HadoopFiles.exists(fs, new Path(dir, LATEST)) || !candidates().isEmpty();
    }

    /** A checkpoint that read back: its state and its network. */
    public record Readable(State state, TrainableNetwork network) {
    }

    /**
     * The newest checkpoint whose state and network read back, trying {@code latest.json}'s first and then every
     * {@code epoch-<N>.json} from the newest down; each one skipped is reported to {@code skipped} with its file and
     * why.
     *
     * @return null if the run has no checkpoint at all
     * @throws io.cnnpipeline.core.StageFailedException if there are checkpoints and none reads back
     */
    public Readable newestReadable(java.util.function.Consumer<String> skipped) {
        List<State> states = new ArrayList<>();
        State latest = latest();
        if (latest != null) {
            states.add(latest);
        } else if (HadoopFiles.exists(fs, new Path(dir, LATEST))) {
            skipped.accept(new Path(dir, LATEST) + " does not parse as a checkpoint state");
        }
        for (Path json : candidates()) {
            try {
                State st = Json.fromBytes(HadoopFiles.read(fs, json), State.class);
                if (states.stream().noneMatch(x -> x.model().equals(st.model()))) {
                    states.add(st);
                }
            } catch (RuntimeException e) {
                skipped.accept(json + " does not parse as a checkpoint state: " + e.getMessage());
            }
        }
        states.sort(State.PROGRESS.reversed());
        List<String> problems = new ArrayList<>();
        for (State st : states) {
            try {
                return new Readable(st, load(st));
            } catch (IllegalStateException e) {
                String why = new Path(dir, st.model()) + " is unreadable (" + e.getCause().getClass().getSimpleName()
                        + ": " + String.valueOf(e.getCause().getMessage()).lines().findFirst().orElse("") + ")";
                problems.add(why);
                skipped.accept(why);
            }
        }
        if (states.isEmpty() && problems.isEmpty() && !any()) {
            return null;
        }
        throw new io.cnnpipeline.core.StageFailedException("Cannot resume from " + dir + ": no checkpoint reads back ("
                + String.join("; ", problems) + "); start a new run, or restore a checkpoint from a copy");
    }

    /** The {@code epoch-<N>.json} state files, newest epoch first. */
    private List<Path> candidates() {
        List<Path> out = new ArrayList<>();
        try {
            if (!fs.exists(dir)) {
                return out;
            }
            for (FileStatus st : fs.listStatus(dir)) {
                String name = st.getPath().getName();
                if (name.startsWith("epoch-") && name.endsWith(".json")) {
                    out.add(st.getPath());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list checkpoints in " + dir, e);
        }
        out.sort((a, b) -> b.getName().compareTo(a.getName()));
        return out;
    }

    /** Path of the newest checkpoint's network, or null. */
    public Path latestModel() {
        State s = latest();
        return s == null ? null : new Path(dir, s.model());
    }

    /**
     * Loads the network of a checkpoint with its updater state.
     *
     * @throws IllegalStateException if it cannot be read
     */
    public TrainableNetwork load(State state) {
        Path model = new Path(dir, state.model());
        try {
            return TrainableNetwork.restore(HadoopFiles.read(fs, model), true);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("Cannot resume from checkpoint " + model + ": " + e.getMessage(), e);
        }
    }
}
