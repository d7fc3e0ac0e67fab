package io.cnnpipeline.training;

import io.cnnpipeline.training.zoo.Networks;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LARS, layer-wise adaptive rate scaling (You, Gitman and Ginsburg 2017, "Large Batch Training of Convolutional
 * Networks"): each layer's weights are updated with the local rate {@code η · ‖w‖ / (‖∇L(w)‖ + β‖w‖)} times the
 * global rate, on the gradient {@code ∇L(w) + βw}.
 *
 * <p>DL4J's updater API cannot express it: an updater sees only a block of gradients (which DL4J merges across
 * layers with equal settings) and never the parameters. The closest faithful mechanism is this listener, which DL4J
 * calls after the gradient is computed and before regularization and the updater are applied
 * ({@code onGradientCalculation}); it rewrites each weight gradient in place so that, after DL4J divides the
 * minibatch's summed gradient by the minibatch size {@code B}, the updater receives {@code trust · (g + βw)} with
 * {@code g} the mean gradient: the summed gradient {@code G} becomes {@code trust · (G + Bβw)}, with the trust ratio
 * computed from {@code ‖G‖ / B}. With the {@code sgd} updater this is exactly LARS's step; with {@code nesterov} it is
 * LARS with Nesterov instead of heavy-ball momentum (DL4J has no heavy-ball momentum). The network must then have no
 * L2 of its own on the weights (β is applied here), which {@link Networks} arranges. As in the paper's practice,
 * biases and batch-norm parameters keep their plain gradient. Serializable: dl4j-spark ships it to every worker.
 */
public final class LarsListener extends BaseTrainingListener implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    private final double trustCoefficient;
    private final double weightDecay;

    /**
     * @param trustCoefficient η, e.g. 0.001
     * @param weightDecay      β, the weight decay applied inside the trust ratio (≥ 0)
     */
    public LarsListener(double trustCoefficient, double weightDecay) {
        if (!(trustCoefficient > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("Cannot create LARS: trust coefficient must be > 0 and weight decay "
                    + ">= 0 (got " + trustCoefficient + ", " + weightDecay + ")");
        }
        this.trustCoefficient = trustCoefficient;
        this.weightDecay = weightDecay;
    }

    /** The local rate of a layer with weight norm {@code w} and gradient norm {@code g}; 1 when either is 0. */
    public double trust(double w, double g) {
        return w > 0 && g > 0 ? trustCoefficient * w / (g + weightDecay * w) : 1.0;
    }

    @Override
    public void onGradientCalculation(Model model) {
        Gradient gradient = model.gradient();
        if (gradient == null) {
            return;
        }
        for (Map.Entry<String, INDArray> e : gradient.gradientForVariable().entrySet()) {
            if (!isWeight(e.getKey())) {
                continue;
            }
            INDArray w = model.getParam(e.getKey());
            INDArray g = e.getValue();
            long batch = Math.max(1, model.batchSize());
            double ratio = trust(w.norm2Number().doubleValue(), g.norm2Number().doubleValue() / batch);
            if (weightDecay > 0) {
                g.addi(w.mul(weightDecay * batch));
            }
            g.muli(ratio);
        }
    }

    /** Weight tensors: DL4J names them {@code <layer>_W} (biases {@code _b}, batch norm gamma/beta/mean/var). */
    static boolean isWeight(String name) {
        return name.endsWith("_W");
    }
}
