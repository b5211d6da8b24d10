package dev.railyard.scorer.models;

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

    @Override
    public Object[] classes() {
        return classes;
    }
}
