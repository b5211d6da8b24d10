package dev.railyard.scorer;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The manifest seal (docs/bundle-format.md, "Sealing"): {@code sealed} holds the sha256 of
 * each other manifest field's canonical JSON, {@code content_hash} the sha256 over those
 * digests. Canonical JSON is what Python's {@code json.dumps(v, sort_keys=True,
 * ensure_ascii=True, separators=(",", ":"))} writes, reproduced here byte for byte.
 */
final class Seal {
    private static final List<String> UNSEALED = List.of("content_hash", "sealed");

    private Seal() {}

    /** Throws BundleFormatException naming the first manifest field that does not match its digest. */
    static void verify(JsonNode manifest) {
        JsonNode sealed = manifest.get("sealed");
        if (sealed == null || !sealed.isObject()) {
            throw new BundleFormatException("The manifest has no valid 'sealed' field.");
        }
        TreeSet<String> fields = new TreeSet<>();
        manifest.fieldNames().forEachRemaining(fields::add);
        fields.removeAll(UNSEALED);
        TreeSet<String> sealedNames = new TreeSet<>();
        sealed.fieldNames().forEachRemaining(sealedNames::add);
        TreeSet<String> unsealed = new TreeSet<>(fields);
        unsealed.removeAll(sealedNames);
        if (!unsealed.isEmpty()) {
            throw new BundleFormatException("Manifest field(s) " + unsealed + " are not sealed.");
        }
        TreeSet<String> absent = new TreeSet<>(sealedNames);
        absent.removeAll(fields);
        if (!absent.isEmpty()) {
            throw new BundleFormatException("Sealed manifest field(s) " + absent + " are missing.");
        }
        Map<String, String> digests = new TreeMap<>();
        for (String name : fields) {
            String digest = sha256(canonical(manifest.get(name)).getBytes(StandardCharsets.US_ASCII));
            if (!digest.equals(sealed.get(name).asText())) {
                throw new BundleFormatException("Manifest field '" + name + "' does not match its sha256 in 'sealed'.");
            }
            digests.put(name, digest);
        }
        if (!combined(digests).equals(manifest.path("content_hash").asText())) {
            throw new BundleFormatException("The bundle's content_hash does not match its 'sealed' digests.");
        }
    }

    /** "sha256:" + sha256 over name \0 digest \n, sorted by name. */
    static String combined(Map<String, String> digests) {
        StringBuilder all = new StringBuilder();
        new TreeMap<>(digests).forEach((name, digest) -> all.append(name).append('\0').append(digest).append('\n'));
        return "sha256:" + sha256(all.toString().getBytes(StandardCharsets.UTF_8));
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String canonical(JsonNode node) {
        StringBuilder out = new StringBuilder();
        write(node, out);
        return out.toString();
    }

    private static void write(JsonNode node, StringBuilder out) {
        if (node.isObject()) {
            TreeMap<String, JsonNode> sorted = new TreeMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                sorted.put(e.getKey(), e.getValue());
            }
            out.append('{');
            List<String> parts = new ArrayList<>(sorted.keySet());
            for (int i = 0; i < parts.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                string(parts.get(i), out);
                out.append(':');
                write(sorted.get(parts.get(i)), out);
            }
            out.append('}');
        } else if (node.isArray()) {
            out.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(node.get(i), out);
            }
            out.append(']');
        } else if (node.isTextual()) {
            string(node.asText(), out);
        } else if (node.isIntegralNumber()) {
            out.append(node.bigIntegerValue());
        } else if (node.isNumber()) {
            out.append(pythonRepr(node.doubleValue()));
        } else if (node.isBoolean()) {
            out.append(node.booleanValue());
        } else if (node.isNull()) {
            out.append("null");
        } else {
            throw new BundleFormatException("Unexpected JSON value in the manifest: " + node);
        }
    }

    /** Python's json string escaping with ensure_ascii: \" \\ \b \f \n \r \t, else \\u00xx outside ' '..'~'. */
    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c >= ' ' && c <= '~') {
                        out.append(c);
                    } else {
                        out.append(String.format("\\u%04x", (int) c));
                    }
                }
            }
        }
        out.append('"');
    }

    /** Python's repr(float): the shortest digits that round-trip, fixed notation for 1e-4 <= |x| < 1e16. */
    static String pythonRepr(double d) {
        if (!Double.isFinite(d)) {
            throw new BundleFormatException("A manifest number is not finite: " + d);
        }
        if (d == 0) {
            return (Double.doubleToRawLongBits(d) < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(d);
        BigDecimal shortest = exact;
        for (int p = 1; p <= 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == d) {
                shortest = r;
                break;
            }
        }
        String digits = shortest.unscaledValue().abs().toString().replaceAll("0+$", "");
        if (digits.isEmpty()) {
            digits = "0";
        }
        // value = 0.digits x 10^decpt
        int decpt = shortest.precision() - shortest.scale();
        String sign = d < 0 ? "-" : "";
        int n = digits.length();
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) {
                return sign + "0." + "0".repeat(-decpt) + digits;
            }
            if (decpt >= n) {
                return sign + digits + "0".repeat(decpt - n) + ".0";
            }
            return sign + digits.substring(0, decpt) + "." + digits.substring(decpt);
        }
        int exp = decpt - 1;
        String mantissa = n == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
    }
}
