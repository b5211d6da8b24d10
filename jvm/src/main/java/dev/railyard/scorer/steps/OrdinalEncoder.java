package dev.railyard.scorer.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.UnknownCategoryException;
import dev.railyard.scorer.io.Encoded;

/**
 * sklearn OrdinalEncoder: category → its index (float64); NaN → encoded_missing_value (None, when
 * fitted, is an ordinary category with its index, as in sklearn); unknown → unknown_value or error.
 */
public final class OrdinalEncoder implements Transformer {
    private final String step;
    private final Categories[] categories;
    private final boolean strict;
    private final double unknownValue;
    private final double missingValue;

    public OrdinalEncoder(String step, JsonNode doc) {
        this.step = step;
        JsonNode features = doc.get("features");
        categories = new Categories[features.size()];
        for (int i = 0; i < categories.length; i++) {
            categories[i] = new Categories(features.get(i).get("categories"));
        }
        strict = "error".equals(doc.get("handle_unknown").asText());
        double[] unknown = Encoded.doublesOrNull(doc.get("unknown_value"));
        unknownValue = unknown == null ? Double.NaN : unknown[0];
        missingValue = Encoded.doubles(doc.get("encoded_missing_value"))[0];
    }

    @Override
    public Object[] transform(Object[] row) {
        Object[] out = new Object[categories.length];
        for (int i = 0; i < categories.length; i++) {
            int cat = categories[i].lookup(row[i], step, i);
            if (cat == Categories.UNKNOWN) {
                if (strict) {
                    throw new UnknownCategoryException(step, i, row[i]);
                }
                out[i] = unknownValue;
            } else if (categories[i].isNaNCategory(cat)) {
                out[i] = missingValue;
            } else {
                out[i] = (double) cat;
            }
        }
        return out;
    }

    @Override
    public Columns transform(Columns batch) {
        Object[] out = new Object[categories.length];
        for (int i = 0; i < categories.length; i++) {
            int[] cats = categories[i].lookup(batch, i);
            double[] o = new double[cats.length];
            for (int r = 0; r < o.length; r++) {
                int cat = cats[r];
                if (cat == Categories.UNKNOWN) {
                    if (strict) {
                        batch.leaveOut(r);
                    }
                    o[r] = unknownValue;
                } else if (categories[i].isNaNCategory(cat)) {
                    o[r] = missingValue;
                } else {
                    o[r] = cat;
                }
            }
            out[i] = o;
        }
        return batch.with(out);
    }
}
