package dev.railyard.scorer.models;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.io.Encoded;

/**
 * sklearn HistGradientBoosting (numeric features): raw = baseline + leaf values in float64,
 * iteration order; NaN follows missing_go_to_left, x <= threshold goes left. Binary
 * classifiers apply expit, regressors (squared error) return raw.
 */
public final class HistGradientBoosting implements Model {
    private record Tree(int[] left, int[] right, int[] feature, double[] threshold, boolean[] missingLeft,
                        boolean[] isLeaf, double[] value) {}

    private final Object[] classes;
    private final double baseline;
    private final Tree[] trees;

    public HistGradientBoosting(Object[] classes, double baseline, JsonNode treesDoc) {
        this.classes = classes;
        this.baseline = baseline;
        trees = new Tree[treesDoc.size()];
        for (int t = 0; t < trees.length; t++) {
            JsonNode d = treesDoc.get(t);
            trees[t] = new Tree(Encoded.ints(d.get("left")), Encoded.ints(d.get("right")),
                    Encoded.ints(d.get("feature")), Encoded.doubles(d.get("threshold")),
                    Encoded.flags(d.get("missing_left")), Encoded.flags(d.get("is_leaf")),
                    Encoded.doubles(d.get("value")));
        }
    }

    @Override
    public double[] predict(double[] x) {
        double raw = baseline;
        for (Tree t : trees) {
            int node = 0;
            while (!t.isLeaf[node]) {
                double v = x[t.feature[node]];
                if (Double.isNaN(v)) {
                    node = t.missingLeft[node] ? t.left[node] : t.right[node];
                } else {
                    node = v <= t.threshold[node] ? t.left[node] : t.right[node];
                }
            }
            raw += t.value[node];
        }
        if (classes == null) {
            return new double[] {raw};
        }
        double p = NumpyMath.expit(raw);
        return new double[] {1.0 - p, p};
    }

    @Override
    public Object[] classes() {
        return classes;
    }
}
