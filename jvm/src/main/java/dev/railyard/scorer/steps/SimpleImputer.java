package dev.railyard.scorer.steps;

import dev.railyard.scorer.WrongTypeException;

/** sklearn SimpleImputer: a missing cell (NaN / null) takes the fitted statistic; empty features are dropped. */
public final class SimpleImputer implements Transformer {
    private final String step;
    private final boolean numeric;
    private final double[] numberFill;
    private final String[] stringFill;
    private final int[] keep;

    public SimpleImputer(String step, boolean numeric, double[] numberFill, String[] stringFill, int[] keep) {
        this.step = step;
        this.numeric = numeric;
        this.numberFill = numberFill;
        this.stringFill = stringFill;
        this.keep = keep;
    }

    @Override
    public Object[] transform(Object[] row) {
        Object[] out = new Object[keep.length];
        for (int j = 0; j < keep.length; j++) {
            int i = keep[j];
            Object cell = row[i];
            if (numeric) {
                double x = Cells.number(cell, step, i);
                out[j] = Double.isNaN(x) ? numberFill[i] : x;
            } else if (Cells.isMissing(cell)) {
                out[j] = stringFill[i];
            } else if (cell instanceof String) {
                out[j] = cell;
            } else {
                throw new WrongTypeException(step + "[" + i + "]", "string", cell);
            }
        }
        return out;
    }
}
