package dev.railyard.scorer;

import java.util.Arrays;

/**
 * One scored row: the label (classifiers; null for regressors) and the scores, in the
 * manifest's output schema order (class probabilities, or the single prediction).
 */
public record Prediction(Object label, double[] scores) {
    @Override
    public String toString() {
        return "Prediction[label=" + label + ", scores=" + Arrays.toString(scores) + "]";
    }
}
