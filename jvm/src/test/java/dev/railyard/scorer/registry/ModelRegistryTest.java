package dev.railyard.scorer.registry;

import static dev.railyard.scorer.registry.RegistryFixture.FOREST;
import static dev.railyard.scorer.registry.RegistryFixture.XGB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.railyard.scorer.BundleFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolving NAME@ALIAS through pointer documents, and every refusal. */
class ModelRegistryTest {
    private static final String NAME = "fraud_v3/global";
    private static final String XGB_URI = "bundles/fraud_v3/global/xgb.bundle";
    private static final String FOREST_URI = "bundles/fraud_v3/global/forest.bundle";

    @TempDir
    Path root;

    RegistryFixture fx;
    ModelRegistry registry;

    @BeforeEach
    void setUp() {
        fx = new RegistryFixture(root);
        fx.addBundle(XGB, XGB_URI);
        fx.addBundle(FOREST, FOREST_URI);
        registry = new ModelRegistry(root);
    }

    private static void assertMentions(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
    }

    @Test
    void resolvesAPointerAndScoresWithPythonsNumbers() {
        fx.point(NAME, "production", XGB_URI, 7);
        ResolvedModel m = registry.resolve("fraud_v3/global@production");
        RegistryPointer p = m.pointer();
        assertEquals(new ModelRef(NAME, "production"), m.ref());
        assertEquals(7, p.eventId());
        assertEquals(RegistryFixture.contentHash(root.resolve(XGB_URI)), p.bundleHash());
        assertEquals(m.bundle().contentHash(), p.bundleHash());
        assertTrue(p.updatedAt().isAfter(Instant.now().minusSeconds(600)));
        List<Map<String, Object>> rows = RegistryFixture.rows(XGB);
        List<long[]> want = RegistryFixture.expectedBits(XGB);
        for (int r = 0; r < rows.size(); r++) {
            assertArrayEquals(want.get(r), RegistryFixture.bits(m.bundle().score(rows.get(r)).scores()), "row " + r);
        }
    }

    @Test
    void resolvesPerValueMembersAndAliasesIndependently() {
        fx.point("fraud_v3/merchant_id=m_0042", "candidate", FOREST_URI, 3);
        fx.point("fraud_v3/merchant_id=m_0042", "production", XGB_URI, 4);
        assertEquals(FOREST, registry.resolve("fraud_v3/merchant_id=m_0042@candidate").bundle().modelName());
        assertEquals(XGB, registry.resolve("fraud_v3/merchant_id=m_0042@production").bundle().modelName());
        assertEquals(List.of("candidate", "production"), registry.aliases("fraud_v3/merchant_id=m_0042"));
        assertEquals(List.of("fraud_v3/merchant_id=m_0042"), registry.names());
    }

    @Test
    void acceptsAPythonStyleOffsetAndABareHexHash() {
        String hash = RegistryFixture.contentHash(root.resolve(XGB_URI));
        Map<String, Object> doc = RegistryFixture.pointer(NAME, "production", XGB_URI, RegistryFixture.hex(hash), 1);
        doc.put("updated_at", "2026-12-04T06:21:16.123456+00:00");
        fx.write(NAME, "production", doc);
        ResolvedModel m = registry.resolve(NAME + "@production");
        assertEquals(Instant.parse("2026-12-04T06:21:16.123456Z"), m.pointer().updatedAt());
        assertEquals(hash, m.bundle().contentHash());
    }

    /**
     * Byte for byte what railyard_batch's registry writes (json.dumps(indent=2, sort_keys=True),
     * version = the manifest's content_hash, isoformat with microseconds), next to its lock
     * file and an unfinished temp file, which are neither aliases nor pointers.
     */
    @Test
    void readsThePythonRegistrysFilesAsWritten() throws IOException {
        String hash = RegistryFixture.contentHash(root.resolve(XGB_URI));
        String text = "{\n  \"alias\": \"production\",\n  \"bundle_hash\": \"" + hash + "\",\n  \"bundle_uri\": \""
                + XGB_URI + "\",\n  \"event_id\": 12,\n  \"format\": \"railyard-registry-pointer/1\",\n  \"name\": \""
                + NAME + "\",\n  \"updated_at\": \"2026-12-04T06:41:07.250113+00:00\",\n  \"version\": \"" + hash
                + "\"\n}\n";
        Path file = fx.writeRaw(NAME, "production", text);
        Files.writeString(file.resolveSibling(".production.lock"), "");
        Files.writeString(file.resolveSibling(".candidate.json.tmp-4242"), "{");
        ResolvedModel m = registry.resolve(NAME + "@production");
        assertEquals(12, m.pointer().eventId());
        assertEquals(hash, m.pointer().version());
        assertEquals(Instant.parse("2026-12-04T06:41:07.250113Z"), m.pointer().updatedAt());
        assertEquals(List.of("production"), registry.aliases(NAME));
        assertEquals(List.of(NAME), registry.names());
    }

    @Test
    void unknownNameSaysWhatWasAskedAndWhatExists() {
        UnknownModelException empty = assertThrows(UnknownModelException.class, () -> registry.resolve(NAME + "@production"));
        assertMentions(empty, "'fraud_v3/global'", "registered: none");
        fx.point(NAME, "production", XGB_URI, 1);
        fx.point("fraud_v3/merchant_id=m_0042", "production", FOREST_URI, 2);
        UnknownModelException e = assertThrows(UnknownModelException.class, () -> registry.resolve("fraud_v3/globl@production"));
        assertMentions(e, "'fraud_v3/globl'", "fraud_v3/global, fraud_v3/merchant_id=m_0042");
        assertEquals(List.of(NAME, "fraud_v3/merchant_id=m_0042"), e.known());
        // A folder above a name is not a name.
        assertThrows(UnknownModelException.class, () -> registry.resolve("fraud_v3@production"));
    }

    @Test
    void unknownAliasListsTheNamesAliases() {
        fx.point(NAME, "production", XGB_URI, 1);
        fx.point(NAME, "candidate", FOREST_URI, 2);
        UnknownModelException e = assertThrows(UnknownModelException.class, () -> registry.resolve(NAME + "@prod"));
        assertMentions(e, "'fraud_v3/global'", "'prod'", "candidate, production");
        assertEquals(List.of("candidate", "production"), e.known());
    }

    @Test
    void aRemovedAliasIsUnknown() throws IOException {
        Path file = fx.point(NAME, "production", XGB_URI, 1);
        registry.resolve(NAME + "@production");
        Files.delete(file);
        assertThrows(UnknownModelException.class, () -> registry.resolve(NAME + "@production"));
    }

    @Test
    void refusesReferencesThatBreakTheNameRule() {
        for (String bad : List.of("fraud_v3/global", "fraud_v3/global@", "@production", "a@b@c", "../x@production",
                "a/../b@production", "a/./b@production", "a//b@production", "/a@production", "a/@production",
                "_a@production", "a@..", "a@_x", "a b@production", "a@prod/uction", "a\0b@production",
                "m\u00e9rchant@production", "x".repeat(101) + "@production",
                ("abcdefghij/").repeat(18) + "abc@production")) {
            InvalidModelRefException e = assertThrows(InvalidModelRefException.class, () -> registry.resolve(bad), bad);
            assertTrue(e.getMessage().contains("Got "), e.getMessage());
        }
        // 200 characters is the longest name.
        String longest = ("abcdefghij/").repeat(18) + "ab";
        assertEquals(200, longest.length());
        assertThrows(UnknownModelException.class, () -> registry.resolve(longest + "@production"));
    }

    /** Property: any string is either refused as a reference or names a pointer file inside registry/. */
    @Test
    void arbitraryReferencesNeverLeaveTheRegistryFolder() {
        List<String> plain = List.of("a", "Z0", "m_0042", "v1.2", "=", "-", "_", "/", "/");
        List<String> hostile = List.of(".", "..", "/", "@", "\\", ":", "\0", " ", "\u00e9", "\u202e", "\n", "%2e", "~");
        Random random = new Random(12);
        Path dir = registry.registryDir().normalize();
        int accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            // NAME@ALIAS mostly, each part a few tokens (hostile ones included), sometimes no or two '@'.
            StringBuilder s = new StringBuilder();
            for (int part = 0; part < 2; part++) {
                int n = 1 + random.nextInt(part == 0 ? 8 : 3);
                for (int k = 0; k < n; k++) {
                    List<String> pool = random.nextInt(8) == 0 ? hostile : plain;
                    s.append(pool.get(random.nextInt(pool.size())));
                }
                if (part == 0 && random.nextInt(10) > 0) {
                    s.append('@');
                }
            }
            ModelRef ref;
            try {
                ref = ModelRef.parse(s.toString());
            } catch (InvalidModelRefException e) {
                continue;
            }
            accepted++;
            Path file = registry.pointerFile(ref).normalize();
            assertTrue(file.startsWith(dir), s + " -> " + file);
            assertEquals(dir.relativize(file).toString(), ref.name() + "/" + ref.alias() + ".json", s.toString());
            assertThrows(UnknownModelException.class, () -> registry.resolve(ref));
        }
        assertTrue(accepted > 500, "only " + accepted + " valid references generated");
    }

    @Test
    void refusesAnUnknownFormat() {
        Map<String, Object> doc = RegistryFixture.pointer(NAME, "production", XGB_URI,
                RegistryFixture.contentHash(root.resolve(XGB_URI)), 1);
        doc.put("format", "railyard-registry-pointer/2");
        Path file = fx.write(NAME, "production", doc);
        PointerFormatException e = assertThrows(PointerFormatException.class, () -> registry.resolve(NAME + "@production"));
        assertMentions(e, file.toString(), "railyard-registry-pointer/2", "railyard-registry-pointer/1");
        doc.remove("format");
        fx.write(NAME, "production", doc);
        assertMentions(assertThrows(PointerFormatException.class, () -> registry.resolve(NAME + "@production")),
                "(missing)");
    }

    @Test
    void refusesMalformedPointers() {
        String hash = RegistryFixture.contentHash(root.resolve(XGB_URI));
        for (String text : List.of("", "{", "[]", "null", "{\"format\": \"railyard-registry-pointer/1\"} x",
                "{\"format\": \"railyard-registry-pointer/1\", \"format\": 3}")) {
            fx.writeRaw(NAME, "production", text);
            assertThrows(PointerFormatException.class, () -> registry.resolve(NAME + "@production"), text);
        }
        fx.writeRaw(NAME, "production", new byte[] {'{', (byte) 0xff, '}'});
        assertMentions(assertThrows(PointerFormatException.class, () -> registry.resolve(NAME + "@production")), "UTF-8");
        Map<String, Object> ok = RegistryFixture.pointer(NAME, "production", XGB_URI, hash, 1);
        Map<String, Object> broken = Map.of("name", "fraud_v3/other", "alias", "candidate", "version", "",
                "bundle_uri", 17, "bundle_hash", List.of(), "event_id", "7", "updated_at", "yesterday");
        broken.forEach((key, value) -> {
            Map<String, Object> doc = new java.util.LinkedHashMap<>(ok);
            doc.put(key, value);
            fx.write(NAME, "production", doc);
            PointerFormatException e = assertThrows(PointerFormatException.class, () -> registry.resolve(NAME + "@production"),
                    key);
            assertMentions(e, fx.pointerFile(NAME, "production").toString());
            assertTrue(e.getMessage().contains("'" + key + "'") || key.equals("name") || key.equals("alias"),
                    e.getMessage());
            doc.remove(key);
            fx.write(NAME, "production", doc);
            assertThrows(PointerFormatException.class, () -> registry.resolve(NAME + "@production"), key + " missing");
        });
        for (Object event : List.of(-1, 1.5, Long.MAX_VALUE + "0")) {
            Map<String, Object> doc = new java.util.LinkedHashMap<>(ok);
            doc.put("event_id", event instanceof String s ? new java.math.BigInteger(s) : event);
            fx.write(NAME, "production", doc);
            assertMentions(assertThrows(PointerFormatException.class, () -> registry.resolve(NAME + "@production")),
                    "'event_id'");
        }
        fx.write(NAME, "production", ok);
        assertEquals(1, registry.resolve(NAME + "@production").pointer().eventId());
    }

    @Test
    void refusesAPointerCopiedToAnotherModelsPlace() {
        fx.write("fraud_v3/other", "production", RegistryFixture.pointer(NAME, "production", XGB_URI,
                RegistryFixture.contentHash(root.resolve(XGB_URI)), 1));
        assertMentions(assertThrows(PointerFormatException.class, () -> registry.resolve("fraud_v3/other@production")),
                "'fraud_v3/global@production'", "'fraud_v3/other@production'");
    }

    @Test
    void refusesBundleUrisThatLeaveTheRoot(@TempDir Path outside) throws IOException {
        Path foreign = RegistryFixture.copyBundle(XGB, outside.resolve("xgb.bundle"));
        String hash = RegistryFixture.contentHash(foreign);
        Files.createDirectories(root.resolve("links"));
        Files.createSymbolicLink(root.resolve("links/escape"), foreign);
        Files.createSymbolicLink(root.resolve("links/up"), outside);
        String escapeViaDotDot = root.relativize(foreign).toString();
        assertTrue(escapeViaDotDot.startsWith(".."), escapeViaDotDot);
        for (String uri : List.of(foreign.toString(), escapeViaDotDot, "bundles/../" + escapeViaDotDot,
                "links/escape", "links/up/xgb.bundle", "file:" + foreign, "s3://bucket/xgb.bundle",
                "bundles\\fraud_v3\\global\\xgb.bundle", "C:/xgb.bundle")) {
            fx.write(NAME, "production", RegistryFixture.pointer(NAME, "production", uri, hash, 1));
            BundleOutsideRootException e = assertThrows(BundleOutsideRootException.class,
                    () -> registry.resolve(NAME + "@production"), uri);
            assertMentions(e, fx.pointerFile(NAME, "production").toString());
        }
        // A link that stays inside the root is fine.
        Files.createSymbolicLink(root.resolve("links/inside"), root.resolve(XGB_URI));
        fx.point(NAME, "production", "links/inside", 2);
        assertEquals(root.resolve(XGB_URI).toRealPath(), registry.resolve(NAME + "@production").bundleDir());
    }

    @Test
    void refusesAPointerFileThatLinksOutOfTheRoot(@TempDir Path outside) throws IOException {
        Path real = outside.resolve("production.json");
        Files.writeString(real, "{}");
        Files.createDirectories(fx.pointerFile(NAME, "production").getParent());
        Files.createSymbolicLink(fx.pointerFile(NAME, "production"), real);
        assertThrows(BundleOutsideRootException.class, () -> registry.resolve(NAME + "@production"));
    }

    @Test
    void refusesABundleWhoseHashDiffersFromThePointer() {
        String xgbHash = RegistryFixture.contentHash(root.resolve(XGB_URI));
        String forestHash = RegistryFixture.contentHash(root.resolve(FOREST_URI));
        Path file = fx.write(NAME, "production", RegistryFixture.pointer(NAME, "production", XGB_URI, forestHash, 9));
        BundleHashMismatchException e = assertThrows(BundleHashMismatchException.class,
                () -> registry.resolve(NAME + "@production"));
        assertMentions(e, file.toString(), forestHash, xgbHash, "event 9");
        assertEquals(forestHash, e.expected());
        assertEquals(xgbHash, e.actual());
    }

    @Test
    void refusesAMissingOrDamagedBundle() throws IOException {
        String hash = RegistryFixture.contentHash(root.resolve(XGB_URI));
        fx.write(NAME, "production", RegistryFixture.pointer(NAME, "production", "bundles/gone.bundle", hash, 1));
        assertMentions(assertThrows(BundleUnavailableException.class, () -> registry.resolve(NAME + "@production")),
                "bundles/gone.bundle", "does not exist");
        Files.writeString(root.resolve("bundles/file.bundle"), "x");
        fx.write(NAME, "production", RegistryFixture.pointer(NAME, "production", "bundles/file.bundle", hash, 2));
        assertMentions(assertThrows(BundleUnavailableException.class, () -> registry.resolve(NAME + "@production")),
                "not a directory");
        // One byte changed in a step document: Bundle.load's own sha256 check refuses it.
        Path doc = root.resolve(XGB_URI).resolve("steps/pipeline.json");
        Files.writeString(doc, Files.readString(doc).replace("\"Pipeline\"", "\"Pipeline\" "));
        fx.point(NAME, "production", XGB_URI, 3);
        BundleUnavailableException e = assertThrows(BundleUnavailableException.class,
                () -> registry.resolve(NAME + "@production"));
        assertInstanceOf(BundleFormatException.class, e.getCause());
        assertMentions(e, "pipeline.json", XGB_URI);
    }

    @Test
    void theRootMustExist() {
        assertThrows(RegistryException.class, () -> new ModelRegistry(root.resolve("nope")));
    }
}
