package dev.railyard.scorer.models;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.io.Encoded;
import dev.railyard.scorer.steps.Columns;

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
    /** Rows per block of the batch walk: their float32 features stay in the L1 cache across the trees. */
    private static final int BLOCK = 64;

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
    private final CompleteForest complete; // null when a tree is too deep for the complete layout
    private final int maxFeature;

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
        complete = CompleteForest.of(l, r, f, sp, dl);
        int max = -1;
        for (int i = 0; i < total; i++) {
            max = left[i] == -1 ? max : Math.max(max, feature[i]);
        }
        maxFeature = max;
    }

    /** float32(x), with missing values (NaN, or 0 for sparse-fed models) as NaN. */
    private float[] features(double[] x) {
        float[] xf = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            xf[i] = feature(x[i]);
        }
        return xf;
    }

    private float leaf(int root, float[] xf, int offset) {
        int node = root;
        int l;
        while ((l = left[node]) != -1) {
            float v = xf[offset + feature[node]];
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
        if (complete != null) {
            for (int t = 0; t < roots.length; t++) {
                margin += complete.leaf(t, xf, 0);
            }
            return margin;
        }
        for (int root : roots) {
            margin += leaf(root, xf, 0);
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

    /**
     * Trees outer, rows inner, in blocks of 64 rows (as XGBoost's CPU predictor); each row
     * still adds its leaves in tree order, so the margins are those of {@link #margin}.
     */
    @Override
    public double[][] predictBatch(double[][] xs) {
        double[][] out = new double[xs.length][];
        if (xs.length == 0) {
            return out;
        }
        int width = xs[0].length;
        if (width <= maxFeature) {
            return Model.super.predictBatch(xs); // fails on the first row, as predict does
        }
        float[] block = new float[BLOCK * width];
        float[] margins = new float[BLOCK];
        for (int start = 0; start < xs.length; start += BLOCK) {
            int n = Math.min(BLOCK, xs.length - start);
            for (int i = 0; i < n; i++) {
                double[] x = xs[start + i];
                for (int j = 0; j < width; j++) {
                    block[i * width + j] = feature(x[j]);
                }
            }
            margins(block, width, n, margins);
            for (int i = 0; i < n; i++) {
                out[start + i] = output(margins[i]);
            }
        }
        return out;
    }

    /** As predictBatch(double[][]), the block filled straight from the batch's columns. */
    @Override
    public double[][] predictBatch(Columns batch) {
        int width = batch.width();
        if (width <= maxFeature) {
            return Model.super.predictBatch(batch);
        }
        double[][] columns = new double[width][];
        for (int j = 0; j < width; j++) {
            columns[j] = (double[]) batch.column(j);
        }
        double[][] out = new double[batch.rows()][];
        float[] block = new float[BLOCK * width];
        float[] margins = new float[BLOCK];
        for (int start = 0; start < out.length; start += BLOCK) {
            int n = Math.min(BLOCK, out.length - start);
            for (int j = 0; j < width; j++) {
                double[] column = columns[j];
                for (int i = 0; i < n; i++) {
                    block[i * width + j] = feature(column[start + i]);
                }
            }
            margins(block, width, n, margins);
            for (int i = 0; i < n; i++) {
                out[start + i] = output(margins[i]);
            }
        }
        return out;
    }

    private float feature(double v) {
        return zeroIsMissing && v == 0.0 ? Float.NaN : (float) v;
    }

    /** The margins of the first n rows of a row-major float32 block, tree by tree. */
    private void margins(float[] block, int width, int n, float[] margins) {
        java.util.Arrays.fill(margins, 0, n, baseMargin);
        if (complete != null) {
            for (int t = 0; t < roots.length; t++) {
                complete.addLeaves(t, block, width, n, margins);
            }
            return;
        }
        for (int root : roots) {
            for (int i = 0; i < n; i++) {
                margins[i] += leaf(root, block, i * width);
            }
        }
    }

    @Override
    public Object[] classes() {
        return classes;
    }
}
