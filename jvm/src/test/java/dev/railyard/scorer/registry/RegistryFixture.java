package dev.railyard.scorer.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.railyard.scorer.io.JsonLines;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An artifact root laid out as the Python registry writes it: bundles copied from the
 * committed test vectors (jvm/src/test/resources/vectors, written by
 * railyard_batch.bundle.vectors), and pointer documents written per the contract
 * (temp file in the same folder, fsync, atomic replace).
 */
final class RegistryFixture {
    static final Path VECTORS = Path.of(System.getProperty("railyard.vectors", "src/test/resources/vectors"));
    /** Two bundles with the same input schema and different outputs; both bit-exact against Python. */
    static final String XGB = "fraud_v3_xgb_classifier";
    static final String FOREST = "fraud_v3_random_forest";

    private static final ObjectMapper JSON = new ObjectMapper();

    final Path root;

    RegistryFixture(Path root) {
        this.root = root;
    }

    /** Copies the bundle of test vector case {@code vectorCase} to {@code <root>/<uri>}. */
    Path addBundle(String vectorCase, String uri) {
        return copyBundle(vectorCase, root.resolve(uri));
    }

    static Path copyBundle(String vectorCase, Path target) {
        Path source = VECTORS.resolve(vectorCase).resolve("bundle");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path f : files.toList()) {
                Path to = target.resolve(source.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    /** The manifest's content_hash ("sha256:<hex>"). */
    static String contentHash(Path bundleDir) {
        try {
            return JSON.readTree(bundleDir.resolve("manifest.json").toFile()).get("content_hash").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String hex(String contentHash) {
        return contentHash.substring(contentHash.indexOf(':') + 1);
    }

    /** The pointer document, keys as the contract lists them. */
    static Map<String, Object> pointer(String name, String alias, String uri, String bundleHash, long eventId) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("format", "railyard-registry-pointer/1");
        doc.put("name", name);
        doc.put("alias", alias);
        doc.put("version", hex(bundleHash));
        doc.put("bundle_uri", uri);
        doc.put("bundle_hash", bundleHash);
        doc.put("event_id", eventId);
        doc.put("updated_at", Instant.now().toString());
        return doc;
    }

    /** Points {@code name@alias} at the bundle under {@code uri} (its own content hash). */
    Path point(String name, String alias, String uri, long eventId) {
        return write(name, alias, pointer(name, alias, uri, contentHash(root.resolve(uri)), eventId));
    }

    Path write(String name, String alias, Map<String, Object> doc) {
        try {
            return writeRaw(name, alias, JSON.writeValueAsBytes(doc));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path writeRaw(String name, String alias, String text) {
        return writeRaw(name, alias, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code <root>/registry/<name>/<alias>.json} atomically, as os.replace does. */
    Path writeRaw(String name, String alias, byte[] data) {
        Path file = pointerFile(name, alias);
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "." + alias + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(data));
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    Path pointerFile(String name, String alias) {
        return root.resolve("registry").resolve(name).resolve(alias + ".json");
    }

    /** The committed input rows of a vector case that Python scores (rows it refuses, such as
     *  infinities, are left out: the registry tests compare scores). */
    static List<Map<String, Object>> rows(String vectorCase) {
        try (BufferedReader in = Files.newBufferedReader(VECTORS.resolve(vectorCase).resolve("input.jsonl"))) {
            List<Map<String, Object>> all = JsonLines.read(in);
            List<Boolean> scored = scoredLines(vectorCase);
            List<Map<String, Object>> out = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                if (scored.get(i)) {
                    out.add(all.get(i));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** For each expected line of a vector case, whether Python scored it (not refused). */
    private static List<Boolean> scoredLines(String vectorCase) throws IOException {
        List<Boolean> out = new ArrayList<>();
        for (String line : Files.readAllLines(VECTORS.resolve(vectorCase).resolve("expected.jsonl"))) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line).get("scores_bits") != null);
            }
        }
        return out;
    }

    /** Python's scores of a vector case, row by row, as raw double bits. */
    static List<long[]> expectedBits(String vectorCase) {
        List<long[]> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(VECTORS.resolve(vectorCase).resolve("expected.jsonl"))) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode bits = JSON.readTree(line).get("scores_bits");
                if (bits == null) {
                    continue; // a row Python refuses: left out of rows() too
                }
                long[] row = new long[bits.size()];
                for (int k = 0; k < row.length; k++) {
                    row[k] = Long.parseUnsignedLong(bits.get(k).asText(), 16);
                }
                out.add(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static long[] bits(double[] scores) {
        long[] out = new long[scores.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = Double.doubleToRawLongBits(scores[k]);
        }
        return out;
    }
}
