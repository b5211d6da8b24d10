package dev.railyard.scorer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.railyard.scorer.io.StepFactory;
import dev.railyard.scorer.models.Model;
import dev.railyard.scorer.steps.Columns;
import dev.railyard.scorer.steps.Transformer;
import dev.railyard.scorer.steps.TransformerPipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A loaded railyard bundle (docs/bundle-format.md). Thread-safe once loaded.
 *
 * <pre>{@code
 * Bundle bundle = Bundle.load(Path.of("fraud_v3.bundle"));
 * Prediction p = bundle.score(Map.of("amount", 12.5, "hour", 3, "merchant_id", "m007",
 *         "country", "BR", "card_brand", "visa", "channel", "web"));
 * double fraudProbability = p.scores()[1];
 * }</pre>
 */
public final class Bundle implements Scorer {
    public static final int FORMAT_VERSION = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode manifest;
    private final List<InputColumn> inputSchema;
    private final Transformer preprocess;
    private final Model model; // null for a transformer-only bundle

    private Bundle(JsonNode manifest, List<InputColumn> inputSchema, Transformer preprocess, Model model) {
        this.manifest = manifest;
        this.inputSchema = inputSchema;
        this.preprocess = preprocess;
        this.model = model;
    }

    /**
     * Reads and validates a bundle directory: format, version, the seal over every manifest
     * field (a change names the field), every document's sha256 and the content hash.
     */
    public static Bundle load(Path dir) {
        try {
            JsonNode manifest = JSON.readTree(dir.resolve("manifest.json").toFile());
            if (!"railyard-bundle".equals(manifest.path("format").asText())) {
                throw new BundleFormatException(dir + " is not a railyard bundle (manifest 'format').");
            }
            int version = manifest.path("format_version").asInt(-1);
            if (version != FORMAT_VERSION) {
                String hint = version < FORMAT_VERSION
                        ? " Re-export the model with the current railyard_batch: format 3 seals every manifest"
                                + " field and keeps Python's None and NaN apart in string columns, which format 1"
                                + " merged."
                        : " Use a newer railyard-scorer.";
                throw new BundleFormatException("Bundle format_version " + version + " is not supported (this scorer reads "
                        + FORMAT_VERSION + ")." + hint);
            }
            Seal.verify(manifest);
            Map<String, JsonNode> documents = new LinkedHashMap<>();
            var fields = manifest.get("documents").fields();
            while (fields.hasNext()) {
                var entry = fields.next();
                Path file = dir.resolve(entry.getKey()).normalize();
                if (!file.startsWith(dir.normalize()) || !Files.isRegularFile(file)) {
                    throw new BundleFormatException("Document " + entry.getKey() + " is missing from the bundle.");
                }
                byte[] data = Files.readAllBytes(file);
                if (!Seal.sha256(data).equals(entry.getValue().asText())) {
                    throw new BundleFormatException("Document " + entry.getKey() + " does not match its sha256 in the manifest.");
                }
                documents.put(entry.getKey(), JSON.readTree(data));
            }
            List<InputColumn> schema = new ArrayList<>();
            for (JsonNode c : manifest.get("input_schema")) {
                InputColumn col = new InputColumn(c.get("name").asText(), c.get("type").asText());
                checkMissingPolicy(col, c.get("missing"));
                schema.add(col);
            }
            StepFactory factory = new StepFactory(documents);
            JsonNode root = factory.document(manifest.get("root").asText());
            if (StepFactory.isModel(root)) {
                return new Bundle(manifest, List.copyOf(schema), new TransformerPipeline(List.of()),
                        factory.model(manifest.get("root").asText()));
            }
            JsonNode steps = root.path("steps");
            String last = steps.size() > 0 ? steps.get(steps.size() - 1).asText() : null;
            if (!"Pipeline".equals(root.get("type").asText()) || last == null
                    || !StepFactory.isModel(factory.document(last))) {
                // A transformer-only bundle: the scores are the transformed features.
                return new Bundle(manifest, List.copyOf(schema), factory.transformer(manifest.get("root").asText()), null);
            }
            List<Transformer> transformers = new ArrayList<>();
            for (int i = 0; i < steps.size() - 1; i++) {
                transformers.add(factory.transformer(steps.get(i).asText()));
            }
            return new Bundle(manifest, List.copyOf(schema), new TransformerPipeline(transformers), factory.model(last));
        } catch (IOException e) {
            throw new BundleFormatException("Cannot read bundle " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The manifest's input_schema[].missing says what Java null and Double.NaN stand for in
     * Python; this scorer implements exactly one mapping per column type (docs/bundle-format.md).
     */
    private static void checkMissingPolicy(InputColumn col, JsonNode missing) {
        String expectNull = col.isNumber() ? "NaN" : "None";
        if (!col.isNumber() && !"string".equals(col.type())) {
            throw new BundleFormatException("Input column '" + col.name() + "' has unknown type '" + col.type() + "'.");
        }
        if (missing == null || !missing.isObject() || missing.size() != 2
                || !expectNull.equals(missing.path("null").asText()) || !"NaN".equals(missing.path("NaN").asText())) {
            throw new BundleFormatException("Input column '" + col.name() + "' has missing-value policy " + missing
                    + "; this scorer reads {\"NaN\":\"NaN\",\"null\":\"" + expectNull + "\"} for " + col.type()
                    + " columns.");
        }
    }

    /**
     * Scores one row: column name → Number/String/null/Double.NaN. Extra keys are ignored.
     * Types are strict: a number column takes a Number or a Boolean (1.0/0.0), a string column
     * a String; anything else (a number in a string column, a string in a number column, a
     * list, a map, a JSON array or object) is a WrongTypeException naming the column. A value
     * scikit-learn's input validation refuses (±inf, float32 overflow in trees, NaN where the
     * estimator allows none) is a RefusedInputException.
     * In a string column {@code null} is Python's None and {@code Double.NaN} is float('nan'),
     * which scikit-learn treats differently; in a number column both are NaN.
     */
    @Override
    public Prediction score(Map<String, ?> row) {
        return scoreCells(cells(row));
    }

    private Object[] cells(Map<String, ?> row) {
        Object[] cells = new Object[inputSchema.size()];
        for (int i = 0; i < cells.length; i++) {
            InputColumn col = inputSchema.get(i);
            Object value = row.get(col.name());
            if (value == null && !row.containsKey(col.name())) {
                throw new MissingColumnException(col.name());
            }
            cells[i] = cell(col, value);
        }
        return cells;
    }

    /**
     * Scores rows as a batch: the same predictions as {@link #score} on each row, bit for bit,
     * or, when score refuses a row, the exception score throws for the first such row (in
     * batch order). The batch runs column by column (each step over the whole batch, the
     * model over contiguous rows); a row that some step would refuse is scored again with
     * score, which throws its exception.
     */
    @Override
    public List<Prediction> scoreBatch(List<? extends Map<String, ?>> rows) {
        Columns x = preprocess.transform(columns(rows)).strictNumbers();
        double[][] scores = model == null ? null : model.predictBatch(x);
        List<Prediction> out = new ArrayList<>(rows.size());
        for (int r = 0; r < x.rows(); r++) {
            if (x.isLeftOut(r)) {
                out.add(score(rows.get(r))); // throws the row's own exception
            } else if (model == null) {
                out.add(new Prediction(null, x.row(r)));
            } else {
                out.add(new Prediction(model.label(scores[r]), scores[r]));
            }
        }
        return out;
    }

    /**
     * The rows as input columns, read as {@link #cells} reads them: number columns as double[],
     * string columns as cells; a row cells would refuse (missing column, wrong type) is left out.
     */
    private Columns columns(List<? extends Map<String, ?>> rows) {
        int n = rows.size();
        int width = inputSchema.size();
        Object[] columns = new Object[width];
        String[] names = new String[width];
        for (int j = 0; j < width; j++) {
            InputColumn col = inputSchema.get(j);
            names[j] = col.name();
            columns[j] = col.isNumber() ? new double[n] : new Object[n];
        }
        Columns batch = Columns.of(n, columns);
        for (int r = 0; r < n; r++) {
            Map<String, ?> row = rows.get(r);
            for (int j = 0; j < width; j++) {
                Object value = row.get(names[j]);
                boolean present = value != null || row.containsKey(names[j]);
                if (!present || !put(columns[j], r, inputSchema.get(j), value)) {
                    batch.leaveOut(r);
                }
            }
        }
        return batch;
    }

    /** Stores the cell {@link #cell} makes of value at row r of the column; false where cell throws. */
    private static boolean put(Object column, int r, InputColumn col, Object value) {
        try {
            if (column instanceof double[] numbers) {
                numbers[r] = value instanceof Double d ? d : (Double) cell(col, value);
            } else {
                ((Object[]) column)[r] = value instanceof String ? value : cell(col, value);
            }
            return true;
        } catch (WrongTypeException e) {
            return false; // the one-row path throws it again for this row
        }
    }

    private static Object cell(InputColumn col, Object value) {
        if (value == null) {
            return col.isNumber() ? (Object) Double.NaN : null;
        }
        if (col.isNumber()) {
            if (value instanceof Number n) {
                return n.doubleValue();
            }
            if (value instanceof Boolean b) {
                return b ? 1.0 : 0.0; // numpy's float(True): pandas bool columns are number columns
            }
            throw new WrongTypeException(col.name(), "number", value);
        }
        if (value instanceof String) {
            return value;
        }
        if ((value instanceof Double d && d.isNaN()) || (value instanceof Float f && f.isNaN())) {
            return Double.NaN; // Python's float('nan'), not None
        }
        throw new WrongTypeException(col.name(), "string", value);
    }

    private double[] features(Object[] cells) {
        Object[] features = preprocess.transform(cells);
        double[] x = new double[features.length];
        for (int i = 0; i < x.length; i++) {
            if (!(features[i] instanceof Double d)) {
                throw new WrongTypeException("feature " + i + " (model input)", "number", features[i]);
            }
            x[i] = d;
        }
        return x;
    }

    private Prediction scoreCells(Object[] cells) {
        double[] x = features(cells);
        if (model == null) {
            return new Prediction(null, x);
        }
        double[] scores = model.predict(x);
        return new Prediction(model.label(scores), scores);
    }

    @Override
    public List<InputColumn> inputSchema() {
        return inputSchema;
    }

    @Override
    public String modelName() {
        return manifest.path("model_name").asText();
    }

    @Override
    public String contentHash() {
        return manifest.path("content_hash").asText();
    }

    /** The manifest's output_schema.scores: names of the entries of Prediction.scores(). */
    @Override
    public List<String> scoreNames() {
        List<String> names = new ArrayList<>();
        manifest.path("output_schema").path("scores").forEach(n -> names.add(n.asText()));
        return names;
    }
}
