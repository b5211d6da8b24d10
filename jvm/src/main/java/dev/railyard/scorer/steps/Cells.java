package dev.railyard.scorer.steps;

import dev.railyard.scorer.WrongTypeException;

/**
 * Reading typed cells out of a row. A string cell is a String, {@code null} (Python's None)
 * or {@code Double.NaN} (Python's float('nan')); scikit-learn keeps the two missing kinds
 * apart, and so do the steps. A number cell is a Double (missing: NaN).
 */
final class Cells {
    private Cells() {}

    static double number(Object cell, String step, int column) {
        if (cell == null) {
            return Double.NaN;
        }
        if (cell instanceof Double d) {
            return d;
        }
        throw new WrongTypeException(step + "[" + column + "]", "number", cell);
    }

    /** Python's None. */
    static boolean isNone(Object cell) {
        return cell == null;
    }

    /** Python's float('nan'). */
    static boolean isNaN(Object cell) {
        return cell instanceof Double d && d.isNaN();
    }
}
