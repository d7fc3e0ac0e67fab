package io.cnnpipeline.training;

/**
 * One averaging round of parameter averaging, as the driver saw it: a line of the run's {@code rounds.jsonl}.
 *
 * @param epoch     1-based epoch
 * @param round     1-based round within the epoch
 * @param rounds    rounds in the epoch
 * @param iteration the driver network's iteration count after the round (each round advances it by the averaging
 *                  frequency)
 * @param loss      the workers' mean loss over their last minibatch of the round (dl4j-spark's score)
 * @param seconds   seconds since the epoch's fit started
 */
public record RoundMetrics(int epoch, int round, int rounds, int iteration, double loss, double seconds) {
}
