package dev.railyard.scorer.models;

import dev.railyard.scorer.steps.Columns;

/** sklearn LogisticRegression: decision = x · coef + intercept (float64); binary expit, multiclass softmax. */
public final class LogisticRegression implements Model {
    private final Object[] classes;
    private final double[] coef;
    private final double[] intercept;
    private final int nFeatures;
    private final boolean binary;

    public LogisticRegression(Object[] classes, double[] coef, double[] intercept, int nFeatures) {
        this.classes = classes;
        this.coef = coef;
        this.intercept = intercept;
        this.nFeatures = nFeatures;
        this.binary = intercept.length == 1;
    }

    @Override
    public double[] predict(double[] x) {
        double[] z = new double[intercept.length];
        for (int k = 0; k < z.length; k++) {
            double acc = 0.0;
            int base = k * nFeatures;
            for (int j = 0; j < nFeatures; j++) {
                acc += x[j] * coef[base + j];
            }
            z[k] = acc + intercept[k];
        }
        if (binary) {
            double p = NumpyMath.expit(z[0]);
            return new double[] {1.0 - p, p};
        }
        return NumpyMath.softmax(z);
    }

    /** The decisions column by column: each row still sums x[j] * coef[j] from 0.0 in feature order. */
    @Override
    public double[][] predictBatch(Columns batch) {
        int rows = batch.rows();
        if (batch.width() != nFeatures) {
            return Model.super.predictBatch(batch);
        }
        double[][] z = new double[intercept.length][rows];
        for (int k = 0; k < z.length; k++) {
            double[] acc = z[k];
            int base = k * nFeatures;
            for (int j = 0; j < nFeatures; j++) {
                double[] x = (double[]) batch.column(j);
                double c = coef[base + j];
                for (int r = 0; r < rows; r++) {
                    acc[r] += x[r] * c;
                }
            }
            for (int r = 0; r < rows; r++) {
                acc[r] += intercept[k];
            }
        }
        double[][] out = new double[rows][];
        for (int r = 0; r < rows; r++) {
            if (binary) {
                double p = NumpyMath.expit(z[0][r]);
                out[r] = new double[] {1.0 - p, p};
            } else {
                double[] zr = new double[z.length];
                for (int k = 0; k < zr.length; k++) {
                    zr[k] = z[k][r];
                }
                out[r] = NumpyMath.softmax(zr);
            }
        }
        return out;
    }

    @Override
    public Object[] classes() {
        return classes;
    }
}
