package dev.railyard.scorer.models;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.io.Encoded;

/**
 * XGBoost gbtree (binary:logistic, reg:squarederror) in XGBoost's float32 arithmetic:
 * a missing value (NaN; or 0 when the model was fed a sparse matrix) follows
 * default_left, otherwise (float) x &lt; split goes left; the margin starts at the
 * float32 base margin and adds each tree's leaf in float32; the sigmoid is XGBoost's
 * float sigmoid over glibc's expf (see Float32Exp).
 *
 * <p>All trees are stored in one set of flat arrays (node ids offset per tree) so that a
 * row walks contiguous memory; a leaf has left == -1 and its value in split.
 */
public final class XGBoostTrees implements Model {
    private final Object[] classes;
    private final float baseMargin;
    private final boolean sigmoid;
    private final boolean zeroIsMissing;
    private final int[] roots;
    private final int[] left;
    private final int[] right;
    private final int[] feature;
    private final float[] split;
    private final boolean[] defaultLeft;

    public XGBoostTrees(Object[] classes, float baseMargin, boolean sigmoid, boolean zeroIsMissing,
                        JsonNode treesDoc) {
        this.classes = classes;
        this.baseMargin = baseMargin;
        this.sigmoid = sigmoid;
        this.zeroIsMissing = zeroIsMissing;
        int n = treesDoc.size();
        int[][] l = new int[n][];
        int[][] r = new int[n][];
        int[][] f = new int[n][];
        float[][] sp = new float[n][];
        boolean[][] dl = new boolean[n][];
        int total = 0;
        for (int t = 0; t < n; t++) {
            JsonNode d = treesDoc.get(t);
            l[t] = Encoded.ints(d.get("left"));
            r[t] = Encoded.ints(d.get("right"));
            f[t] = Encoded.ints(d.get("feature"));
            sp[t] = Encoded.floats(d.get("split"));
            dl[t] = Encoded.flags(d.get("default_left"));
            total += l[t].length;
        }
        roots = new int[n];
        left = new int[total];
        right = new int[total];
        feature = new int[total];
        split = new float[total];
        defaultLeft = new boolean[total];
        int at = 0;
        for (int t = 0; t < n; t++) {
            roots[t] = at;
            for (int i = 0; i < l[t].length; i++) {
                left[at + i] = l[t][i] == -1 ? -1 : l[t][i] + at;
                right[at + i] = r[t][i] == -1 ? -1 : r[t][i] + at;
                feature[at + i] = f[t][i];
                split[at + i] = sp[t][i];
                defaultLeft[at + i] = dl[t][i];
            }
            at += l[t].length;
        }
    }

    /** float32(x), with missing values (NaN, or 0 for sparse-fed models) as NaN. */
    private float[] features(double[] x) {
        float[] xf = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            xf[i] = zeroIsMissing && v == 0.0 ? Float.NaN : (float) v;
        }
        return xf;
    }

    private float leaf(int root, float[] xf) {
        int node = root;
        int l;
        while ((l = left[node]) != -1) {
            float v = xf[feature[node]];
            float s = split[node];
            // NaN fails both comparisons: !(v >= s) sends it left, (v < s) sends it right
            boolean goLeft = defaultLeft[node] ? !(v >= s) : v < s;
            node = goLeft ? l : right[node];
        }
        return split[node];
    }

    /** The float32 margin: base margin plus the leaf of every tree, in tree order. */
    public float margin(double[] x) {
        float[] xf = features(x);
        float margin = baseMargin;
        for (int root : roots) {
            margin += leaf(root, xf);
        }
        return margin;
    }

    private double[] output(float m) {
        if (!sigmoid) {
            return new double[] {m};
        }
        float p = Float32Exp.sigmoid(m);
        return new double[] {1.0f - p, p};
    }

    @Override
    public double[] predict(double[] x) {
        return output(margin(x));
    }

    /** Trees outer, rows inner, in blocks of 64 rows (as XGBoost's CPU predictor); each row still adds its leaves in tree order. */
    @Override
    public double[][] predictBatch(double[][] xs) {
        double[][] out = new double[xs.length][];
        final int block = 64;
        float[][] xf = new float[block][];
        float[] margins = new float[block];
        for (int start = 0; start < xs.length; start += block) {
            int n = Math.min(block, xs.length - start);
            for (int i = 0; i < n; i++) {
                xf[i] = features(xs[start + i]);
                margins[i] = baseMargin;
            }
            for (int root : roots) {
                for (int i = 0; i < n; i++) {
                    margins[i] += leaf(root, xf[i]);
                }
            }
            for (int i = 0; i < n; i++) {
                out[start + i] = output(margins[i]);
            }
        }
        return out;
    }

    @Override
    public Object[] classes() {
        return classes;
    }
}
