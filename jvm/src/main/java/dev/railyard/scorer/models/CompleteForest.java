package dev.railyard.scorer.models;

/**
 * XGBoost trees re-laid as complete binary trees, so that a row walks a tree in exactly
 * {@code depth} steps with no data-dependent branch: node i's children are 2i+1 (left)
 * and 2i+2 (right), and a leaf that sits above the tree's depth is copied into every leaf
 * slot below it. The walk takes the same decisions as the node-by-node walk
 * ({@code (float) x < split} goes left, NaN follows default_left), so a row reaches a leaf
 * with the same value; only the memory layout and the branch shape differ.
 *
 * <p>Built only for forests whose trees are at most {@link #MAX_DEPTH} deep and whose
 * splits are not NaN ({@link #of} returns null otherwise).
 */
final class CompleteForest {
    /** Deeper trees would take 2^depth slots each; XGBoost's default max_depth is 6. */
    static final int MAX_DEPTH = 10;

    private final int[] depth;
    private final int[] nodeBase;
    private final int[] leafBase;
    /** Per internal node: feature index << 1 | default_left. */
    private final int[] featureAndDefault;
    private final float[] split;
    private final float[] leaves;

    private CompleteForest(int[] depth, int[] nodeBase, int[] leafBase, int[] featureAndDefault, float[] split,
                           float[] leaves) {
        this.depth = depth;
        this.nodeBase = nodeBase;
        this.leafBase = leafBase;
        this.featureAndDefault = featureAndDefault;
        this.split = split;
        this.leaves = leaves;
    }

    /**
     * The complete layout of the trees (per tree: left/right child ids, -1 at a leaf; the
     * feature, split (a leaf's value) and default_left of each node), or null when a tree is
     * too deep or a split is NaN.
     */
    static CompleteForest of(int[][] left, int[][] right, int[][] feature, float[][] split, boolean[][] defaultLeft) {
        int n = left.length;
        int[] depth = new int[n];
        int[] nodeBase = new int[n];
        int[] leafBase = new int[n];
        int nodes = 0;
        int leafSlots = 0;
        for (int t = 0; t < n; t++) {
            depth[t] = depth(left[t], right[t], split[t], 0, 0);
            if (depth[t] < 0 || depth[t] > MAX_DEPTH) {
                return null;
            }
            nodeBase[t] = nodes;
            leafBase[t] = leafSlots;
            nodes += (1 << depth[t]) - 1;
            leafSlots += 1 << depth[t];
        }
        CompleteForest forest = new CompleteForest(depth, nodeBase, leafBase, new int[nodes], new float[nodes],
                new float[leafSlots]);
        for (int t = 0; t < n; t++) {
            forest.fill(t, left[t], right[t], feature[t], split[t], defaultLeft[t], 0, 0, 0);
        }
        return forest;
    }

    /** Depth below node (0 for a leaf), or -1 when a split is NaN or the tree is deeper than MAX_DEPTH. */
    private static int depth(int[] left, int[] right, float[] split, int node, int level) {
        if (left[node] == -1) {
            return 0;
        }
        if (Float.isNaN(split[node]) || level >= MAX_DEPTH) {
            return -1;
        }
        int l = depth(left, right, split, left[node], level + 1);
        int r = depth(left, right, split, right[node], level + 1);
        return l < 0 || r < 0 ? -1 : 1 + Math.max(l, r);
    }

    /** Writes original node {@code node} at complete-layout slot {@code slot} of tree t, on {@code level}. */
    private void fill(int t, int[] left, int[] right, int[] feature, float[] split, boolean[] defaultLeft,
                      int node, int slot, int level) {
        int d = depth[t];
        if (level == d) {
            leaves[leafBase[t] + slot - ((1 << d) - 1)] = split[node];
            return;
        }
        int at = nodeBase[t] + slot;
        if (left[node] == -1) {
            // A leaf above the depth: any split will do, both subtrees hold only this leaf.
            featureAndDefault[at] = 0;
            this.split[at] = 0.0f;
            fill(t, left, right, feature, split, defaultLeft, node, 2 * slot + 1, level + 1);
            fill(t, left, right, feature, split, defaultLeft, node, 2 * slot + 2, level + 1);
            return;
        }
        featureAndDefault[at] = feature[node] << 1 | (defaultLeft[node] ? 1 : 0);
        this.split[at] = split[node];
        fill(t, left, right, feature, split, defaultLeft, left[node], 2 * slot + 1, level + 1);
        fill(t, left, right, feature, split, defaultLeft, right[node], 2 * slot + 2, level + 1);
    }

    int trees() {
        return depth.length;
    }

    /**
     * The leaf value tree t gives the float32 row at {@code xf[offset..]}. With split s not NaN,
     * XGBoost's "default_left ? !(v >= s) : v < s" is "v < s, or v is NaN and default_left".
     */
    float leaf(int t, float[] xf, int offset) {
        int d = depth[t];
        int base = nodeBase[t];
        int slot = 0;
        for (int k = 0; k < d; k++) {
            slot = child(base, slot, xf, offset);
        }
        return leaves[leafBase[t] + slot - ((1 << d) - 1)];
    }

    /**
     * Adds tree t's leaf to margins[i] for the first n rows of a row-major float32 block,
     * sixteen rows in lock step: each walk is a chain of dependent loads, and sixteen
     * independent chains keep more loads in flight than eight did (fraud_v3's XGB batch:
     * 480-515k -> 529-532k rows/s). The lanes are plain locals so that the JIT keeps them in
     * registers; an array of slots would live in memory.
     */
    void addLeaves(int t, float[] block, int width, int n, float[] margins) {
        int d = depth[t];
        int base = nodeBase[t];
        int leafAt = leafBase[t] - ((1 << d) - 1);
        int i = 0;
        for (; i + 16 <= n; i += 16) {
            int o = i * width;
            int s0 = 0;
            int s1 = 0;
            int s2 = 0;
            int s3 = 0;
            int s4 = 0;
            int s5 = 0;
            int s6 = 0;
            int s7 = 0;
            int s8 = 0;
            int s9 = 0;
            int s10 = 0;
            int s11 = 0;
            int s12 = 0;
            int s13 = 0;
            int s14 = 0;
            int s15 = 0;
            for (int k = 0; k < d; k++) {
                s0 = child(base, s0, block, o);
                s1 = child(base, s1, block, o + width);
                s2 = child(base, s2, block, o + 2 * width);
                s3 = child(base, s3, block, o + 3 * width);
                s4 = child(base, s4, block, o + 4 * width);
                s5 = child(base, s5, block, o + 5 * width);
                s6 = child(base, s6, block, o + 6 * width);
                s7 = child(base, s7, block, o + 7 * width);
                s8 = child(base, s8, block, o + 8 * width);
                s9 = child(base, s9, block, o + 9 * width);
                s10 = child(base, s10, block, o + 10 * width);
                s11 = child(base, s11, block, o + 11 * width);
                s12 = child(base, s12, block, o + 12 * width);
                s13 = child(base, s13, block, o + 13 * width);
                s14 = child(base, s14, block, o + 14 * width);
                s15 = child(base, s15, block, o + 15 * width);
            }
            margins[i] += leaves[leafAt + s0];
            margins[i + 1] += leaves[leafAt + s1];
            margins[i + 2] += leaves[leafAt + s2];
            margins[i + 3] += leaves[leafAt + s3];
            margins[i + 4] += leaves[leafAt + s4];
            margins[i + 5] += leaves[leafAt + s5];
            margins[i + 6] += leaves[leafAt + s6];
            margins[i + 7] += leaves[leafAt + s7];
            margins[i + 8] += leaves[leafAt + s8];
            margins[i + 9] += leaves[leafAt + s9];
            margins[i + 10] += leaves[leafAt + s10];
            margins[i + 11] += leaves[leafAt + s11];
            margins[i + 12] += leaves[leafAt + s12];
            margins[i + 13] += leaves[leafAt + s13];
            margins[i + 14] += leaves[leafAt + s14];
            margins[i + 15] += leaves[leafAt + s15];
        }
        for (; i < n; i++) {
            margins[i] += leaf(t, block, i * width);
        }
    }

    private int child(int base, int slot, float[] xf, int offset) {
        int at = base + slot;
        int fd = featureAndDefault[at];
        float v = xf[offset + (fd >>> 1)];
        boolean goLeft = v < split[at] | (v != v & (fd & 1) != 0);
        return 2 * slot + (goLeft ? 1 : 2);
    }
}
