package dev.railyard.scorer.steps;

import dev.railyard.scorer.RefusedInputException;
import dev.railyard.scorer.WrongTypeException;

/**
 * sklearn SimpleImputer: a missing cell takes the fitted statistic; empty features are dropped.
 * What is missing follows sklearn: with missing_values=NaN only NaN (a None string cell, Java
 * null, passes through unchanged); with missing_values=None only null, and a NaN is refused as
 * sklearn refuses it ("Input contains NaN"). A string statistic may be null (None).
 */
public final class SimpleImputer implements Transformer {
    private final String step;
    private final boolean numeric;
    private final boolean imputeNone;
    private final double[] numberFill;
    private final String[] stringFill;
    private final int[] keep;

    public SimpleImputer(String step, boolean numeric, boolean imputeNone, double[] numberFill, String[] stringFill,
            int[] keep) {
        this.step = step;
        this.numeric = numeric;
        this.imputeNone = imputeNone;
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
            } else if (cell instanceof String) {
                out[j] = cell;
            } else if (Cells.isNone(cell)) {
                out[j] = imputeNone ? stringFill[i] : null;
            } else if (Cells.isNaN(cell)) {
                if (imputeNone) {
                    throw new RefusedInputException("Step '" + step + "' feature " + i
                            + ": NaN where SimpleImputer(missing_values=None) expects None or a string"
                            + " (scikit-learn raises 'Input contains NaN').");
                }
                out[j] = stringFill[i];
            } else {
                throw new WrongTypeException(step + "[" + i + "]", "string", cell);
            }
        }
        return out;
    }

    @Override
    public Columns transform(Columns batch) {
        Object[] out = new Object[keep.length];
        for (int j = 0; j < keep.length; j++) {
            int i = keep[j];
            out[j] = numeric ? numbers(batch.numbers(i), numberFill[i]) : strings(batch, i);
        }
        return batch.with(out);
    }

    private static double[] numbers(double[] in, double fill) {
        double[] o = new double[in.length];
        for (int r = 0; r < o.length; r++) {
            double x = in[r];
            o[r] = Double.isNaN(x) ? fill : x;
        }
        return o;
    }

    /** Column i of a string imputer, cell by cell as transform(Object[]) reads it. */
    private Object[] strings(Columns batch, int i) {
        Object column = batch.column(i);
        Object[] cells = column instanceof Object[] c ? c : null;
        double[] numbers = column instanceof double[] d ? d : null;
        Object[] o = new Object[batch.rows()];
        for (int r = 0; r < o.length; r++) {
            Object cell = cells != null ? cells[r] : null;
            boolean nan = cells != null ? Cells.isNaN(cell) : Double.isNaN(numbers[r]);
            if (cell instanceof String) {
                o[r] = cell;
            } else if (cells != null && Cells.isNone(cell)) {
                o[r] = imputeNone ? stringFill[i] : null;
            } else if (nan && !imputeNone) {
                o[r] = stringFill[i];
            } else {
                batch.leaveOut(r); // NaN under missing_values=None, or a number: transform throws
            }
        }
        return o;
    }
}
