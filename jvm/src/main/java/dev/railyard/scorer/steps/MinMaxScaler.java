package dev.railyard.scorer.steps;

/** sklearn MinMaxScaler: x = x * scale + min (two roundings), then optional clip to the feature range. */
public final class MinMaxScaler implements Transformer {
    private final String step;
    private final double[] scale;
    private final double[] min;
    private final double[] clip;

    public MinMaxScaler(String step, double[] scale, double[] min, double[] clip) {
        this.step = step;
        this.scale = scale;
        this.min = min;
        this.clip = clip;
    }

    @Override
    public Object[] transform(Object[] row) {
        Object[] out = new Object[row.length];
        for (int i = 0; i < row.length; i++) {
            double x = Cells.number(row[i], step, i);
            x *= scale[i];
            x += min[i];
            if (clip != null && !Double.isNaN(x)) {
                x = Math.min(Math.max(x, clip[0]), clip[1]);
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
                x *= scale[i];
                x += min[i];
                if (clip != null && !Double.isNaN(x)) {
                    x = Math.min(Math.max(x, clip[0]), clip[1]);
                }
                o[r] = x;
            }
            out[i] = o;
        }
        return batch.with(out);
    }
}
