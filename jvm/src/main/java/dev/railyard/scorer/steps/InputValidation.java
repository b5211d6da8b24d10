package dev.railyard.scorer.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.RefusedInputException;
import dev.railyard.scorer.models.Model;

/**
 * What a step's input validation refuses in scikit-learn (the document's {@code refuses},
 * railyard_batch/bundle/refusals.py): NaN where the estimator does not allow it, ±inf
 * (check_array in float64), and values whose float32 rounding is infinite (sklearn's trees
 * cast X to float32). A refused value throws RefusedInputException before the step runs,
 * where Python raises instead of scoring.
 */
public record InputValidation(String step, boolean nan, boolean infinite, boolean float32Overflow) {
    /** The document's validation, or null when it refuses nothing. */
    public static InputValidation of(JsonNode doc, String step) {
        JsonNode r = doc.get("refuses");
        if (r == null || r.isNull()) {
            return null;
        }
        return new InputValidation(step, r.path("nan").asBoolean(), r.path("infinite").asBoolean(),
                r.path("float32_overflow").asBoolean());
    }

    public void check(double v, int feature) {
        String sklearn = reason(v);
        if (sklearn != null) {
            throw refused(feature, v, sklearn);
        }
    }

    /** What scikit-learn says when it refuses v, or null when it takes it. */
    private String reason(double v) {
        if (Double.isNaN(v)) {
            return nan ? "Input X contains NaN." : null;
        }
        if (infinite && Double.isInfinite(v)) {
            return "Input X contains infinity or a value too large for dtype('"
                    + (float32Overflow ? "float32" : "float64") + "').";
        }
        if (float32Overflow && Float.isInfinite((float) v)) {
            return "Input X contains infinity or a value too large for dtype('float32').";
        }
        return null;
    }

    private boolean refuses(double v) {
        return reason(v) != null;
    }

    private RefusedInputException refused(int feature, double v, String sklearn) {
        return new RefusedInputException("Step '" + step + "' refuses feature " + feature + " = " + v
                + " as scikit-learn does: \"" + sklearn + "\"");
    }

    public void check(double[] x) {
        for (int i = 0; i < x.length; i++) {
            check(x[i], i);
        }
    }

    /** Leaves out every row of the batch with a number cell check would refuse. */
    public void check(Columns batch) {
        for (int j = 0; j < batch.width(); j++) {
            Object column = batch.column(j);
            if (column instanceof double[] numbers) {
                for (int r = 0; r < numbers.length; r++) {
                    if (refuses(numbers[r])) {
                        batch.leaveOut(r);
                    }
                }
            } else {
                Object[] cells = (Object[]) column;
                for (int r = 0; r < cells.length; r++) {
                    if (cells[r] instanceof Double d && refuses(d)) {
                        batch.leaveOut(r);
                    }
                }
            }
        }
    }

    public Transformer wrap(Transformer inner) {
        return new Transformer() {
            @Override
            public Object[] transform(Object[] row) {
                for (int i = 0; i < row.length; i++) {
                    if (row[i] instanceof Double d) {
                        check(d, i);
                    }
                }
                return inner.transform(row);
            }

            @Override
            public Columns transform(Columns batch) {
                check(batch);
                return inner.transform(batch);
            }
        };
    }

    public Model wrap(Model inner) {
        return new Model() {
            @Override
            public double[] predict(double[] x) {
                check(x);
                return inner.predict(x);
            }

            @Override
            public double[][] predictBatch(double[][] xs) {
                for (double[] x : xs) {
                    check(x);
                }
                return inner.predictBatch(xs);
            }

            @Override
            public double[][] predictBatch(Columns batch) {
                check(batch);
                return inner.predictBatch(batch);
            }

            @Override
            public Object[] classes() {
                return inner.classes();
            }

            @Override
            public Object label(double[] scores) {
                return inner.label(scores);
            }
        };
    }
}
