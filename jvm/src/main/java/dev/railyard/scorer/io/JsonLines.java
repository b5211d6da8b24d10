package dev.railyard.scorer.io;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.railyard.scorer.Prediction;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** JSON-lines input rows (NaN/Infinity tokens allowed, as Python's json writes them) and prediction output lines. */
public final class JsonLines {
    public static final ObjectMapper MAPPER =
            JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private JsonLines() {}

    public static List<Map<String, Object>> read(BufferedReader in) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        String line;
        while ((line = in.readLine()) != null) {
            if (!line.isBlank()) {
                rows.add(row(MAPPER.readTree(line)));
            }
        }
        return rows;
    }

    /**
     * A JSON object as a row: numbers as Double, strings, booleans, null; an array or an object
     * stays a JsonNode, which no column accepts (strict types, docs/bundle-format.md).
     */
    public static Map<String, Object> row(JsonNode node) {
        Map<String, Object> row = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            Object value;
            if (v.isNull()) {
                value = null;
            } else if (v.isNumber()) {
                value = v.doubleValue();
            } else if (v.isTextual()) {
                value = v.asText();
            } else if (v.isBoolean()) {
                value = v.asBoolean();
            } else {
                value = v; // an array or object: Bundle.score refuses it (WrongTypeException), never its text
            }
            row.put(e.getKey(), value);
        }
        return row;
    }

    /** {"label": ..., "scores": [...], "scores_bits": ["<16 hex digits>", ...]}: bits make the comparison exact. */
    public static String prediction(Prediction p) throws IOException {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("label", p.label());
        List<Object> scores = new ArrayList<>();
        List<String> bits = new ArrayList<>();
        for (double s : p.scores()) {
            scores.add(Double.isFinite(s) ? s : (Object) Double.toString(s));
            bits.add(String.format(Locale.ROOT, "%016x", Double.doubleToRawLongBits(s)));
        }
        out.put("scores", scores);
        out.put("scores_bits", bits);
        return MAPPER.writeValueAsString(out);
    }

    public static String error(Exception e) throws IOException {
        return MAPPER.writeValueAsString(Map.of("error", e.getClass().getSimpleName() + ": " + e.getMessage()));
    }
}
