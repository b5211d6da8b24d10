package dev.railyard.scorer.models;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.io.Encoded;

/**
 * sklearn DecisionTree / RandomForest / ExtraTrees. Each tree compares (float) x with the
 * float64 threshold (x <= t goes left) and sends NaN to missing_go_to_left; leaf values
 * are summed over the trees from 0.0 in estimator order, then divided by the tree count.
 */
public final class SklearnTrees implements Model {
    private record Tree(int[] left, int[] right, int[] feature, double[] threshold, boolean[] missingLeft,
                        double[] value) {}

    private final Object[] classes;
    private final int width;
    private final Tree[] trees;

    public SklearnTrees(Object[] classes, JsonNode treesDoc) {
        this.classes = classes;
        this.width = classes == null ? 1 : classes.length;
        trees = new Tree[treesDoc.size()];
        for (int t = 0; t < trees.length; t++) {
            JsonNode d = treesDoc.get(t);
            trees[t] = new Tree(Encoded.ints(d.get("left")), Encoded.ints(d.get("right")),
                    Encoded.ints(d.get("feature")), Encoded.doubles(d.get("threshold")),
                    Encoded.flags(d.get("missing_left")), Encoded.doubles(d.get("value")));
        }
    }

    private static int leaf(Tree t, double[] x) {
        int node = 0;
        while (t.left[node] != -1) {
            float v = (float) x[t.feature[node]];
            if (Float.isNaN(v)) {
                node = t.missingLeft[node] ? t.left[node] : t.right[node];
            } else {
                node = v <= t.threshold[node] ? t.left[node] : t.right[node];
            }
        }
        return node;
    }

    @Override
    public double[] predict(double[] x) {
        double[] acc = new double[width];
        for (Tree t : trees) {
            int base = leaf(t, x) * width;
            for (int c = 0; c < width; c++) {
                acc[c] += t.value[base + c];
            }
        }
        for (int c = 0; c < width; c++) {
            acc[c] /= trees.length;
        }
        return acc;
    }

    @Override
    public Object[] classes() {
        return classes;
    }
}
