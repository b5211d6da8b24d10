package dev.railyard.scorer.models;

import dev.railyard.scorer.steps.Columns;

/** A fitted final estimator: scores one feature vector (float64, as sklearn's X after preprocessing). */
public interface Model {
    /** Class probabilities in class order, or a single regression value. */
    double[] predict(double[] x);

    /** Scores many rows; the same numbers as predict on each row (models may reorder the work, never the arithmetic). */
    default double[][] predictBatch(double[][] xs) {
        double[][] out = new double[xs.length][];
        for (int i = 0; i < xs.length; i++) {
            out[i] = predict(xs[i]);
        }
        return out;
    }

    /**
     * Scores a batch whose columns are all numbers ({@link Columns#strictNumbers}): entry r
     * holds what predict gives row r, bit for bit; rows left out get null (or any scores)
     * and may be left out here too. Never throws for a row.
     */
    default double[][] predictBatch(Columns batch) {
        double[][] out = new double[batch.rows()][];
        for (int r = 0; r < out.length; r++) {
            if (!batch.isLeftOut(r)) {
                out[r] = predict(batch.row(r));
            }
        }
        return out;
    }

    /** Class labels (String, Long or Double) for classifiers; null for regressors. */
    Object[] classes();

    /** The label sklearn's predict gives: the class of the first maximal score. */
    default Object label(double[] scores) {
        Object[] classes = classes();
        if (classes == null) {
            return null;
        }
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return classes[best];
    }
}
