package dev.railyard.scorer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A composition of member bundles scored as one model (docs/bundle-format.md, "Compositions"):
 * each row goes to the member of its routing column's value (a merchant's own model) when the
 * routing table has one, else to the fallback (the global model). {@code route} returns that
 * member's scores; {@code blend} returns {@code w * member + (1 - w) * fallback} for a routed
 * row, the fallback's scores elsewhere. The label is the class of the first maximal score.
 *
 * <p>The router is one hash lookup per row, whatever the number of members. The manifest is
 * sealed like a single bundle's, and each member bundle is loaded with {@link Bundle#load} and
 * must have the content hash the manifest lists for it.
 */
public final class CompositeBundle implements Scorer {
    public static final String FORMAT = "railyard-composition";
    public static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode manifest;
    private final List<InputColumn> inputSchema;
    private final InputColumn routeBy;
    private final boolean blend;
    private final double[] stack; // coef_own, coef_global, intercept, clip; null unless a stack
    private final double weight;
    private final double otherWeight;
    private final Bundle fallback;
    private final Map<Object, Bundle> routes;
    private final Object[] classes;

    private CompositeBundle(JsonNode manifest, List<InputColumn> inputSchema, InputColumn routeBy, boolean blend,
            double[] stack, double weight, Bundle fallback, Map<Object, Bundle> routes, Object[] classes) {
        this.manifest = manifest;
        this.inputSchema = inputSchema;
        this.routeBy = routeBy;
        this.blend = blend;
        this.stack = stack;
        this.weight = weight;
        this.otherWeight = 1.0 - weight; // as Python computes it: (1 - w)
        this.fallback = fallback;
        this.routes = routes;
        this.classes = classes;
    }

    /** Reads a composition directory: the sealed manifest, then every member bundle once. */
    public static CompositeBundle load(Path dir) {
        JsonNode manifest;
        try {
            manifest = JSON.readTree(dir.resolve("manifest.json").toFile());
        } catch (IOException e) {
            throw new BundleFormatException("Cannot read bundle " + dir + ": " + e.getMessage(), e);
        }
        if (!FORMAT.equals(manifest.path("format").asText())) {
            throw new BundleFormatException(dir + " is not a railyard composition (manifest 'format').");
        }
        int version = manifest.path("format_version").asInt(-1);
        if (version != FORMAT_VERSION) {
            throw new BundleFormatException("Composition format_version " + version
                    + " is not supported (this scorer reads " + FORMAT_VERSION + ").");
        }
        Seal.verify(manifest);
        String kind = manifest.path("kind").asText();
        if (!kind.equals("route") && !kind.equals("blend") && !kind.equals("stack")) {
            throw new BundleFormatException("Composition kind '" + kind + "' is not one of route, blend, stack.");
        }
        double[] stack = null;
        if (kind.equals("stack")) {
            JsonNode fit = manifest.path("stack");
            stack = new double[4];
            String[] keys = {"coef_own", "coef_global", "intercept", "clip"};
            for (int i = 0; i < keys.length; i++) {
                if (!fit.path(keys[i]).isNumber() || !Double.isFinite(fit.path(keys[i]).asDouble())) {
                    throw new BundleFormatException("Composition stack." + keys[i] + " must be a finite number; got "
                            + fit.path(keys[i]) + ".");
                }
                stack[i] = fit.path(keys[i]).asDouble();
            }
        }
        Map<String, Bundle> members = new HashMap<>();
        var listed = manifest.path("members").fields();
        while (listed.hasNext()) {
            var entry = listed.next();
            String id = entry.getKey();
            if (!id.matches("[0-9a-f]{64}")) {
                throw new BundleFormatException("Composition member '" + id + "' is not a sha256 hex digest.");
            }
            Path memberDir = dir.resolve("members").resolve(id);
            if (!Files.isDirectory(memberDir)) {
                throw new BundleFormatException("Composition member " + id + " is missing from the bundle.");
            }
            Bundle member = Bundle.load(memberDir);
            if (!member.contentHash().equals(entry.getValue().asText())) {
                throw new BundleFormatException("Composition member " + id + " has content hash "
                        + member.contentHash() + "; the manifest lists " + entry.getValue().asText() + ".");
            }
            members.put(id, member);
        }
        Bundle fallback = member(members, manifest.path("fallback").asText(), "fallback");
        JsonNode by = manifest.path("route_by");
        InputColumn routeBy = new InputColumn(by.path("name").asText(), by.path("type").asText());
        if (!routeBy.isNumber() && !"string".equals(routeBy.type())) {
            throw new BundleFormatException("Composition route_by type '" + routeBy.type() + "' is not number or string.");
        }
        Object[] classes = labels(manifest.path("output_schema").path("classes"));
        if (stack != null && classes.length != 2) {
            throw new BundleFormatException("A stack composition combines binary classifiers; the fallback has "
                    + classes.length + " classes.");
        }
        Map<Object, Bundle> routes = new HashMap<>();
        for (JsonNode route : manifest.path("routes")) {
            Object key = routeBy.isNumber() ? (Object) route.get(0).asDouble() : route.get(0).asText();
            if (routeBy.isNumber() != route.get(0).isNumber()) {
                throw new BundleFormatException("Composition route value " + route.get(0) + " is not a "
                        + routeBy.type() + " (route_by '" + routeBy.name() + "').");
            }
            Bundle target = member(members, route.get(1).asText(), "route " + route.get(0));
            if (routes.put(key, target) != null) {
                throw new BundleFormatException("Composition routes value " + route.get(0) + " twice.");
            }
        }
        for (Bundle b : members.values()) {
            if (!b.scoreNames().equals(fallback.scoreNames())) {
                throw new BundleFormatException("Composition member " + b.modelName() + " scores " + b.scoreNames()
                        + "; the fallback scores " + fallback.scoreNames() + ".");
            }
        }
        List<InputColumn> schema = new ArrayList<>();
        for (JsonNode c : manifest.path("input_schema")) {
            schema.add(new InputColumn(c.path("name").asText(), c.path("type").asText()));
        }
        double weight = manifest.path("weights").path("member").asDouble(Double.NaN);
        if (!(weight >= 0.0 && weight <= 1.0)) {
            throw new BundleFormatException("Composition weights.member must be in [0, 1]; got "
                    + manifest.path("weights").path("member") + ".");
        }
        return new CompositeBundle(manifest, List.copyOf(schema), routeBy, kind.equals("blend"), stack, weight,
                fallback, routes, classes);
    }

    private static Bundle member(Map<String, Bundle> members, String id, String what) {
        Bundle b = members.get(id);
        if (b == null) {
            throw new BundleFormatException("Composition " + what + " names member " + id + ", which it does not list.");
        }
        return b;
    }

    private static Object[] labels(JsonNode classes) {
        if (!classes.isArray()) {
            throw new BundleFormatException("A composition combines classifiers; output_schema.classes is " + classes + ".");
        }
        Object[] out = new Object[classes.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode c = classes.get(i);
            out[i] = c.isIntegralNumber() ? (Object) c.asLong() : c.isNumber() ? (Object) c.asDouble() : c.asText();
        }
        return out;
    }

    /** The member a row is routed to, or null for the fallback. */
    private Bundle route(Map<String, ?> row) {
        Object value = row.get(routeBy.name());
        if (value == null) {
            if (!row.containsKey(routeBy.name())) {
                throw new MissingColumnException(routeBy.name());
            }
            return null;
        }
        Object key;
        if (routeBy.isNumber()) {
            if (value instanceof Number n) {
                key = n.doubleValue();
            } else if (value instanceof Boolean b) {
                key = b ? 1.0 : 0.0;
            } else {
                throw new WrongTypeException(routeBy.name(), "number", value);
            }
            if (((Double) key).isNaN()) {
                return null;
            }
        } else if (value instanceof String) {
            key = value;
        } else if ((value instanceof Double d && d.isNaN()) || (value instanceof Float f && f.isNaN())) {
            return null;
        } else {
            throw new WrongTypeException(routeBy.name(), "string", value);
        }
        return routes.get(key);
    }

    @Override
    public Prediction score(Map<String, ?> row) {
        Bundle own = route(row);
        if (own == null) {
            return fallback.score(row);
        }
        if (!blend && stack == null) {
            // The member's own prediction: its label is also the class of the first maximal score.
            return own.score(row);
        }
        double[] m = own.score(row).scores();
        double[] g = fallback.score(row).scores();
        double[] scores = new double[g.length];
        if (stack != null) {
            double p = stacked(m[1], g[1]);
            scores[0] = 1.0 - p;
            scores[1] = p;
        } else {
            for (int i = 0; i < g.length; i++) {
                scores[i] = weight * m[i] + otherWeight * g[i];
            }
        }
        int best = 0;
        for (int i = 1; i < scores.length; i++) {
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return new Prediction(classes[best], scores);
    }

    /**
     * A stack's positive-class probability, as Python computes it (bundle/composite.py
     * stack_positive): the clipped probabilities' logits log(p) - log1p(-p), weighted, summed
     * with the intercept, through 1 / (1 + exp(-z)).
     */
    private double stacked(double own, double glob) {
        double lo = stack[3];
        double hi = 1.0 - stack[3];
        double po = Math.min(Math.max(own, lo), hi);
        double pg = Math.min(Math.max(glob, lo), hi);
        double z = stack[2] + stack[0] * (Math.log(po) - Math.log1p(-po)) + stack[1] * (Math.log(pg) - Math.log1p(-pg));
        return 1.0 / (1.0 + Math.exp(-z));
    }

    /** The number of routing-table entries (values with their own member). */
    public int routes() {
        return routes.size();
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

    @Override
    public List<String> scoreNames() {
        return fallback.scoreNames();
    }

    @Override
    public String toString() {
        return "CompositeBundle[" + modelName() + ", " + manifest.path("kind").asText() + ", routes=" + routes.size()
                + ", weights=" + Arrays.toString(new double[] {weight, otherWeight}) + "]";
    }
}
