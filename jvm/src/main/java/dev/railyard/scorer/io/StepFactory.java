package dev.railyard.scorer.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.BundleFormatException;
import dev.railyard.scorer.models.HistGradientBoosting;
import dev.railyard.scorer.models.LogisticRegression;
import dev.railyard.scorer.models.Model;
import dev.railyard.scorer.models.SklearnTrees;
import dev.railyard.scorer.models.XGBoostTrees;
import dev.railyard.scorer.steps.ColumnTransformer;
import dev.railyard.scorer.steps.InputValidation;
import dev.railyard.scorer.steps.MinMaxScaler;
import dev.railyard.scorer.steps.OneHotEncoder;
import dev.railyard.scorer.steps.OrdinalEncoder;
import dev.railyard.scorer.steps.Passthrough;
import dev.railyard.scorer.steps.SimpleImputer;
import dev.railyard.scorer.steps.StandardScaler;
import dev.railyard.scorer.steps.Transformer;
import dev.railyard.scorer.steps.TransformerPipeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds the Java step for each bundle document (one document type = one class). */
public final class StepFactory {
    private final Map<String, JsonNode> documents;

    public StepFactory(Map<String, JsonNode> documents) {
        this.documents = documents;
    }

    public JsonNode document(String name) {
        JsonNode doc = documents.get(name);
        if (doc == null) {
            throw new BundleFormatException("The bundle lacks the document '" + name + "'.");
        }
        return doc;
    }

    public static boolean isModel(JsonNode doc) {
        return doc.has("task");
    }

    /** The step of a document, with the input validation its document records (InputValidation). */
    public Transformer transformer(String name) {
        JsonNode doc = document(name);
        Transformer t = build(name);
        InputValidation v = InputValidation.of(doc, doc.path("path").asText(name));
        return v == null ? t : v.wrap(t);
    }

    public Model model(String name) {
        JsonNode doc = document(name);
        Model m = buildModel(name);
        InputValidation v = InputValidation.of(doc, doc.path("path").asText(name));
        return v == null ? m : v.wrap(m);
    }

    private Transformer build(String name) {
        JsonNode doc = document(name);
        String step = doc.path("path").asText(name);
        String type = doc.get("type").asText();
        switch (type) {
            case "Pipeline": {
                List<Transformer> steps = new ArrayList<>();
                for (JsonNode ref : doc.get("steps")) {
                    steps.add(transformer(ref.asText()));
                }
                return new TransformerPipeline(steps);
            }
            case "ColumnTransformer": {
                List<ColumnTransformer.Part> parts = new ArrayList<>();
                for (JsonNode p : doc.get("transformers")) {
                    int[] cols = new int[p.get("columns").size()];
                    for (int i = 0; i < cols.length; i++) {
                        cols[i] = p.get("columns").get(i).asInt();
                    }
                    Transformer t = p.get("step").isNull() ? null : transformer(p.get("step").asText());
                    parts.add(new ColumnTransformer.Part(p.get("name").asText(), cols, t));
                }
                return new ColumnTransformer(parts);
            }
            case "Passthrough":
                return new Passthrough();
            case "SimpleImputer": {
                boolean numeric = "number".equals(doc.get("kind").asText());
                int[] keep = Encoded.ints(doc.get("keep"));
                String missingValues = doc.path("missing_values").asText();
                if (!"NaN".equals(missingValues) && !"None".equals(missingValues)) {
                    throw new BundleFormatException("Step '" + step + "' has missing_values '" + missingValues
                            + "'; expected NaN or None.");
                }
                boolean imputeNone = "None".equals(missingValues);
                if (numeric) {
                    if (imputeNone) {
                        throw new BundleFormatException("Step '" + step + "': missing_values None on numbers.");
                    }
                    return new SimpleImputer(step, true, false, Encoded.doubles(doc.get("fill")), null, keep);
                }
                JsonNode fill = doc.get("fill");
                String[] strings = new String[fill.size()];
                for (int i = 0; i < strings.length; i++) {
                    strings[i] = fill.get(i).isNull() ? null : fill.get(i).asText();
                }
                return new SimpleImputer(step, false, imputeNone, null, strings, keep);
            }
            case "StandardScaler":
                return new StandardScaler(step, Encoded.doublesOrNull(doc.get("mean")),
                        Encoded.doublesOrNull(doc.get("scale")));
            case "MinMaxScaler":
                return new MinMaxScaler(step, Encoded.doubles(doc.get("scale")), Encoded.doubles(doc.get("min")),
                        Encoded.doublesOrNull(doc.get("clip")));
            case "OneHotEncoder":
                return new OneHotEncoder(step, doc);
            case "OrdinalEncoder":
                return new OrdinalEncoder(step, doc);
            default:
                throw new BundleFormatException("Step '" + step + "' has unknown transformer type '" + type + "'.");
        }
    }

    private Model buildModel(String name) {
        JsonNode doc = document(name);
        String type = doc.get("type").asText();
        Object[] classes = doc.get("classes").isNull() ? null : Encoded.labels(doc.get("classes"));
        switch (type) {
            case "LogisticRegression":
                return new LogisticRegression(classes, Encoded.doubles(doc.get("coef")),
                        Encoded.doubles(doc.get("intercept")), doc.get("n_features").asInt());
            case "SklearnTrees":
                return new SklearnTrees(classes, doc.get("trees"));
            case "HistGradientBoosting":
                return new HistGradientBoosting(classes, Encoded.doubles(doc.get("baseline"))[0], doc.get("trees"));
            case "XGBoostTrees":
                return new XGBoostTrees(classes, Encoded.floats(doc.get("base_margin"))[0],
                        "sigmoid".equals(doc.get("transform").asText()), doc.get("zero_is_missing").asBoolean(),
                        doc.get("trees"));
            default:
                throw new BundleFormatException("Unknown model type '" + type + "' in '" + name + "'.");
        }
    }
}
