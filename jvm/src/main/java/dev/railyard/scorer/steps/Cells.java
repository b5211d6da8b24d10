package dev.railyard.scorer.steps;

import dev.railyard.scorer.WrongTypeException;

/** Reading typed cells out of a row. */
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

    static boolean isMissing(Object cell) {
        return cell == null || (cell instanceof Double d && d.isNaN());
    }
}
