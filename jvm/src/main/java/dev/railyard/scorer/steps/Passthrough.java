package dev.railyard.scorer.steps;

/** The identity ('passthrough' / FunctionTransformer without a function). */
public final class Passthrough implements Transformer {
    @Override
    public Object[] transform(Object[] row) {
        return row;
    }

    @Override
    public Columns transform(Columns batch) {
        return batch;
    }
}
