package dev.railyard.scorer.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * One registry pointer document, {@code <artifact_root>/registry/<name>/<alias>.json}, as the
 * Python registry writes it on every alias change (docs/bundle-format.md, "Registry pointers"):
 *
 * <pre>{@code
 * {"format": "railyard-registry-pointer/1", "name": "fraud_v3/global", "alias": "production",
 *  "version": "<content hash hex>", "bundle_uri": "<dir relative to the root>",
 *  "bundle_hash": "sha256:<hex>", "event_id": 7, "updated_at": "2026-12-04T06:00:00+00:00"}
 * }</pre>
 *
 * @param file where it was read from
 */
public record RegistryPointer(Path file, String name, String alias, String version, String bundleUri,
        String bundleHash, long eventId, Instant updatedAt) {
    public static final String FORMAT = "railyard-registry-pointer/1";

    private static final ObjectMapper JSON =
            JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    /**
     * Parses and checks a pointer document read from {@code file} for {@code expected}: valid
     * UTF-8 JSON object, known format, every field present with its type, and name and alias
     * equal to what was asked (a pointer copied to another model's place is refused).
     */
    public static RegistryPointer parse(byte[] data, Path file, ModelRef expected) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            throw new PointerFormatException("Registry pointer " + file + " is not UTF-8.", e);
        }
        JsonNode doc;
        try {
            doc = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new PointerFormatException("Registry pointer " + file + " is not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
        if (doc == null || !doc.isObject()) {
            throw new PointerFormatException("Registry pointer " + file + " must be a JSON object.");
        }
        JsonNode format = doc.get("format");
        if (format == null || !format.isTextual() || !FORMAT.equals(format.asText())) {
            throw new PointerFormatException("Registry pointer " + file + " has format "
                    + (format == null ? "(missing)" : format.toString()) + "; this reader knows only '" + FORMAT
                    + "'. Use a newer railyard-scorer.");
        }
        String name = text(doc, "name", file);
        String alias = text(doc, "alias", file);
        if (!name.equals(expected.name()) || !alias.equals(expected.alias())) {
            throw new PointerFormatException("Registry pointer " + file + " is for " + ModelRef.quote(name + "@" + alias)
                    + ", not for " + ModelRef.quote(expected.toString()) + " whose place it is in.");
        }
        String version = text(doc, "version", file);
        String bundleUri = text(doc, "bundle_uri", file);
        String bundleHash = text(doc, "bundle_hash", file);
        JsonNode event = doc.get("event_id");
        if (event == null || !event.isIntegralNumber() || !event.canConvertToLong() || event.asLong() < 0) {
            throw new PointerFormatException("Registry pointer " + file + ": 'event_id' must be a non-negative integer."
                    + " Got " + (event == null ? "(missing)" : event.toString()) + ".");
        }
        String updated = text(doc, "updated_at", file);
        Instant updatedAt;
        try {
            updatedAt = instant(updated);
        } catch (DateTimeParseException e) {
            throw new PointerFormatException("Registry pointer " + file + ": 'updated_at' must be an ISO-8601 time with"
                    + " an offset (2026-12-04T06:00:00+00:00 or ...Z) or UTC without one. Got " + ModelRef.quote(updated) + ".", e);
        }
        return new RegistryPointer(file, name, alias, version, bundleUri, bundleHash, event.asLong(), updatedAt);
    }

    /** ISO-8601 with an offset; a time without one is read as UTC (Python's naive utcnow().isoformat()). */
    private static Instant instant(String value) {
        try {
            return OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return LocalDateTime.parse(value, DateTimeFormatter.ISO_LOCAL_DATE_TIME).toInstant(ZoneOffset.UTC);
        }
    }

    private static String text(JsonNode doc, String key, Path file) {
        JsonNode v = doc.get(key);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw new PointerFormatException("Registry pointer " + file + ": '" + key + "' must be a non-empty string."
                    + " Got " + (v == null ? "(missing)" : v.toString()) + ".");
        }
        return v.asText();
    }

    public ModelRef ref() {
        return new ModelRef(name, alias);
    }

    /** True when {@code other} stands for the same registry event and version (nothing to reload). */
    public boolean sameEvent(RegistryPointer other) {
        return other != null && eventId == other.eventId && version.equals(other.version);
    }

    /** "fraud_v3/global@production (event 7, version ab12...) at FILE", for messages. */
    public String describe() {
        return name + "@" + alias + " (event " + eventId + ", version " + version + ") at " + file;
    }
}
