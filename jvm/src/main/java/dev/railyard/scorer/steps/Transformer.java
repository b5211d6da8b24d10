package dev.railyard.scorer.steps;

/**
 * One fitted preprocessing step. A row is an Object[] whose cells are Double (NaN: missing)
 * or String (null: missing), positionally like the columns of sklearn's X.
 */
public interface Transformer {
    Object[] transform(Object[] row);

    /**
     * The step over a whole batch, column by column: for every row not left out, the same
     * cells as {@link #transform(Object[])} gives that row (bit for bit). Never throws for a
     * row: a row transform(Object[]) would throw for is left out instead ({@link Columns}).
     */
    Columns transform(Columns batch);
}
