package dev.railyard.scorer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every manifest field is sealed: each value of the manifest (walked, not listed by hand) is
 * changed in turn, each key removed, one added, and Bundle.load refuses with a message naming
 * the field. Also: the canonical JSON the seal hashes is Python's, byte for byte.
 */
class ManifestSealTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path BUNDLE = VectorParityTest.vectorsDir().resolve("fraud_v3_xgb_classifier/bundle");

    /** One edit of the manifest and the top-level field its refusal must name. */
    private record Edit(String where, String names, Consumer<ObjectNode> apply) {}

    private static List<Edit> edits(JsonNode manifest) {
        List<Edit> out = new ArrayList<>();
        manifest.fieldNames().forEachRemaining(top -> walk(manifest.get(top), "/" + top,
                "sealed".equals(top) ? null : top, out));
        manifest.fieldNames().forEachRemaining(top -> out.add(new Edit("remove /" + top, top, m -> m.remove(top))));
        out.add(new Edit("add /extra", "extra", m -> m.put("extra", 1)));
        return out;
    }

    private static void walk(JsonNode node, String pointer, String top, List<Edit> out) {
        String names = top != null ? top : pointer.substring(pointer.lastIndexOf('/') + 1);
        if (node.isObject() && node.size() > 0) {
            node.fieldNames().forEachRemaining(k -> walk(node.get(k), pointer + "/" + k.replace("~", "~0").replace("/", "~1"), top, out));
            return;
        }
        if (node.isArray() && node.size() > 0) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), pointer + "/" + i, top, out);
            }
            return;
        }
        out.add(new Edit("change " + pointer, "/sealed".equals(pointer) ? "sealed" : names, m -> {
            int cut = pointer.lastIndexOf('/');
            JsonNode parent = cut == 0 ? m : m.at(pointer.substring(0, cut));
            String key = pointer.substring(cut + 1).replace("~1", "/").replace("~0", "~");
            JsonNode changed = changed(node);
            if (parent instanceof ObjectNode o) {
                o.set(key, changed);
            } else {
                ((ArrayNode) parent).set(Integer.parseInt(key), changed);
            }
        }));
    }

    private static JsonNode changed(JsonNode v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (v.isTextual()) {
            return f.textNode(v.asText() + "x");
        }
        if (v.isIntegralNumber()) {
            return f.numberNode(v.longValue() + 1);
        }
        if (v.isNumber()) {
            return f.numberNode(v.doubleValue() + 0.5);
        }
        if (v.isBoolean()) {
            return f.booleanNode(!v.booleanValue());
        }
        if (v.isNull()) {
            return f.textNode("x");
        }
        if (v.isArray()) {
            return f.arrayNode().add("x");
        }
        return f.objectNode().put("x", 1);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    /** Recomputes the seal of an edited manifest, as an exporter would have written it. */
    static void reseal(Path manifestFile) throws IOException {
        ObjectNode m = (ObjectNode) JSON.readTree(manifestFile.toFile());
        m.remove("sealed");
        m.remove("content_hash");
        ObjectNode sealed = m.objectNode();
        java.util.Map<String, String> digests = new java.util.TreeMap<>();
        m.fieldNames().forEachRemaining(k -> digests.put(k,
                Seal.sha256(Seal.canonical(m.get(k)).getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
        digests.forEach(sealed::put);
        m.set("sealed", sealed);
        m.put("content_hash", Seal.combined(digests));
        JSON.writerWithDefaultPrettyPrinter().writeValue(manifestFile.toFile(), m);
    }

    @TestFactory
    Stream<DynamicTest> everyManifestEditIsRefused(@TempDir Path tmp) throws IOException {
        JsonNode manifest = JSON.readTree(BUNDLE.resolve("manifest.json").toFile());
        List<Edit> edits = edits(manifest);
        assertTrue(edits.size() > 60, "walked only " + edits.size() + " edits");
        Bundle.load(BUNDLE); // the unedited bundle loads
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < edits.size(); i++) {
            Edit edit = edits.get(i);
            Path dir = tmp.resolve("b" + i);
            tests.add(DynamicTest.dynamicTest(edit.where(), () -> {
                copy(BUNDLE, dir);
                ObjectNode m = (ObjectNode) manifest.deepCopy();
                edit.apply().accept(m);
                JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("manifest.json").toFile(), m);
                BundleFormatException e = assertThrows(BundleFormatException.class, () -> Bundle.load(dir));
                assertTrue(e.getMessage().contains(edit.names()), edit.where() + ": " + e.getMessage());
            }));
        }
        return tests.stream();
    }

    @Test
    void swappingTwoInputColumnNamesIsRefused(@TempDir Path tmp) throws IOException {
        copy(BUNDLE, tmp.resolve("b"));
        ObjectNode m = (ObjectNode) JSON.readTree(BUNDLE.resolve("manifest.json").toFile());
        ObjectNode a = (ObjectNode) m.get("input_schema").get(0);
        ObjectNode b = (ObjectNode) m.get("input_schema").get(1);
        String name = a.get("name").asText();
        a.put("name", b.get("name").asText());
        b.put("name", name);
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("b/manifest.json").toFile(), m);
        BundleFormatException e = assertThrows(BundleFormatException.class, () -> Bundle.load(tmp.resolve("b")));
        assertEquals("Manifest field 'input_schema' does not match its sha256 in 'sealed'.", e.getMessage());
    }

    @Test
    void reformattingTheManifestKeepsTheSeal(@TempDir Path tmp) throws IOException {
        copy(BUNDLE, tmp.resolve("b"));
        JsonNode m = JSON.readTree(BUNDLE.resolve("manifest.json").toFile());
        Files.writeString(tmp.resolve("b/manifest.json"), JSON.writeValueAsString(m)); // compact, same values
        assertEquals(Bundle.load(BUNDLE).contentHash(), Bundle.load(tmp.resolve("b")).contentHash());
    }

    @Test
    void floatsAreWrittenAsPythonsJsonDoes() throws IOException {
        Path tsv = VectorParityTest.vectorsDir().resolveSibling("python_float_repr.tsv");
        List<String> lines = Files.readAllLines(tsv);
        assertTrue(lines.size() > 9000, tsv + " has " + lines.size() + " lines");
        for (String line : lines) {
            String[] parts = line.split("\t");
            double d = Double.longBitsToDouble(Long.parseUnsignedLong(parts[0], 16));
            assertEquals(parts[1], Seal.pythonRepr(d), parts[0]);
        }
    }

    @Test
    void stringsAreEscapedAsPythonsJsonDoes() throws IOException {
        // the vectors' run_id holds quotes, a backslash, a tab, U+00E9, U+2028, an emoji and DEL
        JsonNode m = JSON.readTree(BUNDLE.resolve("manifest.json").toFile());
        assertEquals("\"vectors \\\"q\\\" \\\\ \\t \\u00e9 \\u2028 \\ud83d\\ude00 \\u007f\"", Seal.canonical(m.get("run_id")));
    }
}
