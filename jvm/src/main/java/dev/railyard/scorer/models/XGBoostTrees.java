package dev.railyard.scorer.models;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.io.Encoded;

/**
 * XGBoost gbtree (binary:logistic, reg:squarederror) in XGBoost's float32 arithmetic:
 * a missing value (NaN; or 0 when the model was fed a sparse matrix) follows
 * default_left, otherwise (float) x &lt; split goes left; the margin starts at the
 * float32 base margin and adds each tree's leaf in float32; the sigmoid is XGBoost's
 * float sigmoid over glibc's expf (see Float32Exp).
 */
public final class XGBoostTrees implements Model {
    private record Tree(int[] left, int[] right, int[] feature, float[] split, boolean[] defaultLeft) {}

    private final Object[] classes;
    private final float baseMargin;
    private final boolean sigmoid;
    private final boolean zeroIsMissing;
    private final Tree[] trees;

    public XGBoostTrees(Object[] classes, float baseMargin, boolean sigmoid, boolean zeroIsMissing,
                        JsonNode treesDoc) {
        this.classes = classes;
        this.baseMargin = baseMargin;
        this.sigmoid = sigmoid;
        this.zeroIsMissing = zeroIsMissing;
        trees = new Tree[treesDoc.size()];
        for (int t = 0; t < trees.length; t++) {
            JsonNode d = treesDoc.get(t);
            trees[t] = new Tree(Encoded.ints(d.get("left")), Encoded.ints(d.get("right")),
                    Encoded.ints(d.get("feature")), Encoded.floats(d.get("split")),
                    Encoded.flags(d.get("default_left")));
        }
    }

    /** The float32 margin: base margin plus the leaf of every tree. */
    public float margin(double[] x) {
        float margin = baseMargin;
        for (Tree t : trees) {
            int node = 0;
            while (t.left[node] != -1) {
                double v = x[t.feature[node]];
                boolean missing = Double.isNaN(v) || (zeroIsMissing && v == 0.0);
                if (missing) {
                    node = t.defaultLeft[node] ? t.left[node] : t.right[node];
                } else {
                    node = (float) v < t.split[node] ? t.left[node] : t.right[node];
                }
            }
            margin += t.split[node];
        }
        return margin;
    }

    @Override
    public double[] predict(double[] x) {
        float m = margin(x);
        if (!sigmoid) {
            return new double[] {m};
        }
        float p = Float32Exp.sigmoid(m);
        return new double[] {1.0f - p, p};
    }

    @Override
    public Object[] classes() {
        return classes;
    }
}
