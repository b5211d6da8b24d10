package dev.railyard.scorer.steps;

import java.util.List;

/** sklearn ColumnTransformer: each part selects input columns, transforms them, outputs are concatenated in order. */
public final class ColumnTransformer implements Transformer {
    /** One transformer of the ColumnTransformer; step null means passthrough. */
    public record Part(String name, int[] columns, Transformer step) {}

    private final List<Part> parts;

    public ColumnTransformer(List<Part> parts) {
        this.parts = parts;
    }

    @Override
    public Object[] transform(Object[] row) {
        Object[][] outputs = new Object[parts.size()][];
        int total = 0;
        for (int p = 0; p < outputs.length; p++) {
            Part part = parts.get(p);
            Object[] selected = new Object[part.columns().length];
            for (int j = 0; j < selected.length; j++) {
                selected[j] = row[part.columns()[j]];
            }
            outputs[p] = part.step() == null ? selected : part.step().transform(selected);
            total += outputs[p].length;
        }
        Object[] out = new Object[total];
        int at = 0;
        for (Object[] o : outputs) {
            System.arraycopy(o, 0, out, at, o.length);
            at += o.length;
        }
        return out;
    }

    /** Each part's columns are the batch's own arrays (no copy); the outputs' columns are concatenated. */
    @Override
    public Columns transform(Columns batch) {
        Columns[] outputs = new Columns[parts.size()];
        int total = 0;
        for (int p = 0; p < outputs.length; p++) {
            Part part = parts.get(p);
            Object[] selected = new Object[part.columns().length];
            for (int j = 0; j < selected.length; j++) {
                selected[j] = batch.column(part.columns()[j]);
            }
            Columns in = batch.with(selected);
            outputs[p] = part.step() == null ? in : part.step().transform(in);
            total += outputs[p].width();
        }
        Object[] out = new Object[total];
        int at = 0;
        for (Columns o : outputs) {
            for (int j = 0; j < o.width(); j++) {
                out[at++] = o.column(j);
            }
        }
        return batch.with(out);
    }
}
