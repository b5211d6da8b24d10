package dev.railyard.scorer.steps;

/**
 * One fitted preprocessing step. A row is an Object[] whose cells are Double (NaN: missing)
 * or String (null: missing), positionally like the columns of sklearn's X.
 */
public interface Transformer {
    Object[] transform(Object[] row);
}
