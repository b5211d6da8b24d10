package dev.railyard.scorer.steps;

/** sklearn StandardScaler: x = (x - mean) / scale in float64, either part optional. */
public final class StandardScaler implements Transformer {
    private final String step;
    private final double[] mean;
    private final double[] scale;

    public StandardScaler(String step, double[] mean, double[] scale) {
        this.step = step;
        this.mean = mean;
        this.scale = scale;
    }

    @Override
    public Object[] transform(Object[] row) {
        Object[] out = new Object[row.length];
        for (int i = 0; i < row.length; i++) {
            double x = Cells.number(row[i], step, i);
            if (mean != null) {
                x -= mean[i];
            }
            if (scale != null) {
                x /= scale[i];
            }
            out[i] = x;
        }
        return out;
    }
}
