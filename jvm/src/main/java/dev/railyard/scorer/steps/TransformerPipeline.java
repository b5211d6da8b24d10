package dev.railyard.scorer.steps;

import java.util.List;

/** An sklearn Pipeline made only of transformers: the steps applied in order. */
public final class TransformerPipeline implements Transformer {
    private final List<Transformer> steps;

    public TransformerPipeline(List<Transformer> steps) {
        this.steps = steps;
    }

    @Override
    public Object[] transform(Object[] row) {
        Object[] out = row;
        for (Transformer t : steps) {
            out = t.transform(out);
        }
        return out;
    }

    @Override
    public Columns transform(Columns batch) {
        Columns out = batch;
        for (Transformer t : steps) {
            out = t.transform(out);
        }
        return out;
    }
}
