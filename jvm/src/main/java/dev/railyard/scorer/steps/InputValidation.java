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
        if (Double.isNaN(v)) {
            if (nan) {
                throw refused(feature, v, "Input X contains NaN.");
            }
        } else if (infinite && Double.isInfinite(v)) {
            throw refused(feature, v, "Input X contains infinity or a value too large for dtype('"
                    + (float32Overflow ? "float32" : "float64") + "').");
        } else if (float32Overflow && Float.isInfinite((float) v)) {
            throw refused(feature, v, "Input X contains infinity or a value too large for dtype('float32').");
        }
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

    public Transformer wrap(Transformer inner) {
        return row -> {
            for (int i = 0; i < row.length; i++) {
                if (row[i] instanceof Double d) {
                    check(d, i);
                }
            }
            return inner.transform(row);
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
