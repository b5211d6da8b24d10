package dev.railyard.scorer.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.UnknownCategoryException;
import dev.railyard.scorer.io.Encoded;

/**
 * sklearn OneHotEncoder: per feature a block of output columns; each category maps to a
 * column (after infrequent grouping and drop; -1: all zeros). Unknown values raise
 * (handle_unknown='error'), go to the infrequent column (infrequent_if_exist, warn) or
 * give all zeros.
 */
public final class OneHotEncoder implements Transformer {
    private static final Double ZERO = 0.0;
    private static final Double ONE = 1.0;

    private final String step;
    private final boolean strict;
    private final boolean unknownToInfrequent;
    private final Categories[] categories;
    private final int[][] columns;
    private final int[] offsets;
    private final int[] infrequentColumn;
    private final int width;

    public OneHotEncoder(String step, JsonNode doc) {
        this.step = step;
        String policy = doc.get("handle_unknown").asText();
        strict = "error".equals(policy);
        unknownToInfrequent = "infrequent_if_exist".equals(policy) || "warn".equals(policy);
        JsonNode features = doc.get("features");
        int n = features.size();
        categories = new Categories[n];
        columns = new int[n][];
        offsets = new int[n];
        infrequentColumn = new int[n];
        int offset = 0;
        for (int i = 0; i < n; i++) {
            JsonNode f = features.get(i);
            categories[i] = new Categories(f.get("categories"));
            columns[i] = Encoded.ints(f.get("columns"));
            infrequentColumn[i] = f.get("infrequent_column").asInt();
            offsets[i] = offset;
            offset += f.get("width").asInt();
        }
        width = offset;
    }

    @Override
    public Object[] transform(Object[] row) {
        Object[] out = new Object[width];
        java.util.Arrays.fill(out, ZERO);
        for (int i = 0; i < categories.length; i++) {
            int cat = categories[i].lookup(row[i], step, i);
            int column;
            if (cat == Categories.UNKNOWN) {
                if (strict) {
                    throw new UnknownCategoryException(step, i, row[i]);
                }
                column = unknownToInfrequent ? infrequentColumn[i] : -1;
            } else {
                column = columns[i][cat];
            }
            if (column >= 0) {
                out[offsets[i] + column] = ONE;
            }
        }
        return out;
    }

    @Override
    public Columns transform(Columns batch) {
        int rows = batch.rows();
        double[][] out = new double[width][rows];
        for (int i = 0; i < categories.length; i++) {
            int[] cats = categories[i].lookup(batch, i);
            for (int r = 0; r < rows; r++) {
                int cat = cats[r];
                int column;
                if (cat == Categories.UNKNOWN) {
                    if (strict) {
                        batch.leaveOut(r);
                        continue;
                    }
                    column = unknownToInfrequent ? infrequentColumn[i] : -1;
                } else {
                    column = columns[i][cat];
                }
                if (column >= 0) {
                    out[offsets[i] + column][r] = 1.0;
                }
            }
        }
        return batch.with(java.util.Arrays.copyOf(out, width, Object[].class));
    }
}
