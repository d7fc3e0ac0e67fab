package io.cnnpipeline.training.zoo;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Orthogonal initialization (Saxe, McClelland and Ganguli 2014): a weight tensor seen as a matrix of
 * {@code shape[0]} rows by the product of the other dimensions (a convolution's {@code [out, in, kH, kW]} as out ×
 * in·kH·kW; a dense layer's {@code [nIn, nOut]} as nIn × nOut) is set to a random matrix with orthonormal columns
 * (or rows, whichever are fewer), times {@code gain}: the Q of the QR decomposition of a standard normal matrix, with
 * the signs of R's diagonal folded in so that the result is uniformly distributed. Draws come from ND4J's random
 * generator, which DL4J seeds with the network's seed before initializing. DL4J has no orthogonal initialization of
 * its own.
 */
public final class OrthogonalInit implements IWeightInit {
    private static final long serialVersionUID = 1L;

    @org.nd4j.shade.jackson.annotation.JsonProperty
    private double gain;

    /** For JSON deserialization. */
    private OrthogonalInit() {
        this(1.0);
    }

    /** @param gain scale of the orthonormal matrix (√2 for ReLU layers) */
    public OrthogonalInit(double gain) {
        this.gain = gain;
    }

    @Override
    public INDArray init(double fanIn, double fanOut, long[] shape, char order, INDArray paramView) {
        long rows = shape[0];
        long cols = 1;
        for (int i = 1; i < shape.length; i++) {
            cols *= shape[i];
        }
        boolean tall = rows >= cols;
        int m = (int) Math.max(rows, cols);
        int n = (int) Math.min(rows, cols);
        // ND4J's array generator (seeded by DL4J before initialization), as its own initializers use it
        double[][] g = Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.DOUBLE, m, n).toDoubleMatrix();
        QRDecomposition qr = new QRDecomposition(new Array2DRowRealMatrix(g, false));
        RealMatrix q = qr.getQ().getSubMatrix(0, m - 1, 0, n - 1);
        RealMatrix r = qr.getR();
        double[] values = new double[(int) (rows * cols)];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                // tall: Q is rows × cols; wide: the matrix is Qᵀ (cols × rows transposed)
                int qi = tall ? i : j;
                int qj = tall ? j : i;
                values[(int) (i * cols + j)] = gain * q.getEntry(qi, qj) * Math.signum(r.getEntry(qj, qj) == 0 ? 1
                        : r.getEntry(qj, qj));
            }
        }
        INDArray w = Nd4j.create(values, shape, 'c').castTo(paramView.dataType());
        INDArray view = paramView.reshape(order, shape);
        view.assign(w);
        return view;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OrthogonalInit other && other.gain == gain;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(gain);
    }
}
