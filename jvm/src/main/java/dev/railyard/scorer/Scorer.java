package dev.railyard.scorer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What scores rows: a single model's {@link Bundle} or a {@link CompositeBundle} (a routed or
 * blended composition of member bundles). Thread-safe once loaded.
 *
 * <pre>{@code
 * Scorer scorer = Scorer.load(Path.of("routed.bundle"));   // either kind of bundle directory
 * double p = scorer.score(row).scores()[1];
 * }</pre>
 */
public interface Scorer {
    /** Scores one row: column name → Number/String/null/Double.NaN (see {@link Bundle#score}). */
    Prediction score(Map<String, ?> row);

    /** Scores rows as a batch (same numbers as score on each row). */
    default List<Prediction> scoreBatch(List<? extends Map<String, ?>> rows) {
        List<Prediction> out = new ArrayList<>(rows.size());
        for (Map<String, ?> row : rows) {
            out.add(score(row));
        }
        return out;
    }

    List<InputColumn> inputSchema();

    String modelName();

    String contentHash();

    /** The manifest's output_schema.scores: names of the entries of Prediction.scores(). */
    List<String> scoreNames();

    /**
     * Loads a bundle directory of either kind, by its manifest's {@code format}:
     * {@code railyard-bundle} ({@link Bundle#load}) or {@code railyard-composition}
     * ({@link CompositeBundle#load}).
     */
    static Scorer load(Path dir) {
        JsonNode manifest;
        try {
            manifest = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        } catch (IOException e) {
            throw new BundleFormatException("Cannot read bundle " + dir + ": " + e.getMessage(), e);
        }
        if (CompositeBundle.FORMAT.equals(manifest.path("format").asText())) {
            return CompositeBundle.load(dir);
        }
        return Bundle.load(dir);
    }
}
