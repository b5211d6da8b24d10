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

    @Override
    public Columns transform(Columns batch) {
        Object[] out = new Object[batch.width()];
        for (int i = 0; i < out.length; i++) {
            double[] in = batch.numbers(i);
            double[] o = new double[in.length];
            for (int r = 0; r < o.length; r++) {
                double x = in[r];
                if (mean != null) {
                    x -= mean[i];
                }
                if (scale != null) {
                    x /= scale[i];
                }
                o[r] = x;
            }
            out[i] = o;
        }
        return batch.with(out);
    }
}
