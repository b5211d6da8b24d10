package dev.railyard.scorer.steps;

/**
 * A batch of rows held column by column, as the batch path of the steps reads and writes
 * them ({@link Transformer#transform(Columns)}). A column is a {@code double[]} when every
 * cell is a number (NaN: missing), else an {@code Object[]} of cells as
 * {@link Transformer#transform(Object[])} sees them (String, {@code null} for None, Double).
 *
 * <p>The batch path never throws for a row. A row that the one-row path would refuse at some
 * step (wrong type, unknown category, a value scikit-learn refuses) is marked as left out in
 * a flag array shared by every Columns of the batch; its cells are arbitrary from then on,
 * and the caller scores it again with the one-row path, which throws the row's own exception.
 */
public final class Columns {
    private final int rows;
    private final Object[] columns;
    private final boolean[] leftOut;

    private Columns(int rows, Object[] columns, boolean[] leftOut) {
        this.rows = rows;
        this.columns = columns;
        this.leftOut = leftOut;
    }

    /** A new batch of {@code rows} rows; each column a double[] or an Object[] of that length. */
    public static Columns of(int rows, Object[] columns) {
        return new Columns(rows, columns, new boolean[rows]);
    }

    /** Other columns of the same batch (same rows, same left-out flags). */
    public Columns with(Object[] columns) {
        return new Columns(rows, columns, leftOut);
    }

    public int rows() {
        return rows;
    }

    public int width() {
        return columns.length;
    }

    /** Column j: a double[] or an Object[]. */
    public Object column(int j) {
        return columns[j];
    }

    /** Marks row r as left to the one-row path. */
    public void leaveOut(int r) {
        leftOut[r] = true;
    }

    public boolean isLeftOut(int r) {
        return leftOut[r];
    }

    /**
     * Column j read as numbers the way {@link Cells#number} reads a cell: null is NaN, a
     * Double its value; any other cell leaves its row out.
     */
    public double[] numbers(int j) {
        if (columns[j] instanceof double[] numbers) {
            return numbers;
        }
        Object[] cells = (Object[]) columns[j];
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            Object cell = cells[r];
            if (cell == null) {
                out[r] = Double.NaN;
            } else if (cell instanceof Double d) {
                out[r] = d;
            } else {
                leftOut[r] = true;
                out[r] = Double.NaN;
            }
        }
        return out;
    }

    /**
     * The batch as model input: every column as numbers, a cell that is not a Double (null
     * included, as {@code Bundle.score} refuses it) leaving its row out.
     */
    public Columns strictNumbers() {
        Object[] out = new Object[columns.length];
        for (int j = 0; j < out.length; j++) {
            if (columns[j] instanceof double[] numbers) {
                out[j] = numbers;
                continue;
            }
            Object[] cells = (Object[]) columns[j];
            double[] numbers = new double[rows];
            for (int r = 0; r < rows; r++) {
                if (cells[r] instanceof Double d) {
                    numbers[r] = d;
                } else {
                    leftOut[r] = true;
                }
            }
            out[j] = numbers;
        }
        return with(out);
    }

    /** Row r of a batch whose columns are all numbers ({@link #strictNumbers}). */
    public double[] row(int r) {
        double[] x = new double[columns.length];
        for (int j = 0; j < x.length; j++) {
            x[j] = ((double[]) columns[j])[r];
        }
        return x;
    }
}
