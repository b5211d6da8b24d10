package dev.railyard.scorer.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.railyard.scorer.BundleFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/** Decodes the bundle's lossless arrays: {"dtype": ..., "b64": little-endian IEEE-754 / int32 bytes}. */
public final class Encoded {
    private Encoded() {}

    private static ByteBuffer bytes(JsonNode node, String dtype) {
        if (node == null || node.isNull() || !dtype.equals(node.path("dtype").asText())) {
            throw new BundleFormatException("Expected an encoded " + dtype + " array, got " + node);
        }
        byte[] raw = Base64.getDecoder().decode(node.get("b64").asText());
        return ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    }

    public static double[] doubles(JsonNode node) {
        ByteBuffer buf = bytes(node, "float64");
        double[] out = new double[buf.remaining() / 8];
        buf.asDoubleBuffer().get(out);
        return out;
    }

    /** A float64 array, or null when the node is JSON null. */
    public static double[] doublesOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : doubles(node);
    }

    public static float[] floats(JsonNode node) {
        ByteBuffer buf = bytes(node, "float32");
        float[] out = new float[buf.remaining() / 4];
        buf.asFloatBuffer().get(out);
        return out;
    }

    public static int[] ints(JsonNode node) {
        ByteBuffer buf = bytes(node, "int32");
        int[] out = new int[buf.remaining() / 4];
        buf.asIntBuffer().get(out);
        return out;
    }

    public static boolean[] flags(JsonNode node) {
        int[] raw = ints(node);
        boolean[] out = new boolean[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = raw[i] != 0;
        }
        return out;
    }

    /** Class labels as Java values: String, Long or Double. */
    public static Object[] labels(JsonNode node) {
        Object[] out = new Object[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            out[i] = v.isTextual() ? v.asText() : v.isIntegralNumber() ? (Object) v.asLong() : (Object) v.asDouble();
        }
        return out;
    }
}
