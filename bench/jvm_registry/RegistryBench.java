import dev.railyard.scorer.Bundle;
import dev.railyard.scorer.io.JsonLines;
import dev.railyard.scorer.registry.LiveModel;
import dev.railyard.scorer.registry.ModelRegistry;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * What the registry costs, against a baseline in the same run (java source-file mode, run by
 * bench/jvm_registry.py): scoring through LiveModel vs the Bundle directly, the same while
 * the pointer flips, resolve() vs Bundle.load(), and the swap latency after a pointer write.
 *
 * <p>usage: java -cp CLASSPATH RegistryBench.java VECTOR_CASE_DIR [ROUNDS] [FLIP_MS]
 */
public final class RegistryBench {
    private static final String NAME = "fraud_v3/global";

    public static void main(String[] args) throws Exception {
        Path vectorCase = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int flipMs = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        Path root = Files.createTempDirectory("railyard-registry-bench-");
        // The same bundle twice, under two URIs: a flip reloads for real, the per-row cost stays the same.
        copy(vectorCase.resolve("bundle"), root.resolve("bundles/a"));
        copy(vectorCase.resolve("bundle"), root.resolve("bundles/b"));
        List<Map<String, Object>> all;
        try (BufferedReader in = Files.newBufferedReader(vectorCase.resolve("input.jsonl"))) {
            all = JsonLines.read(in);
        }
        // Rows scikit-learn refuses (the vectors' expected line says "refused") are refused by
        // the scorer too, with an exception: a scoring loop takes the others.
        List<String> expected = Files.readAllLines(vectorCase.resolve("expected.jsonl"));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int r = 0; r < all.size(); r++) {
            if (!expected.get(r).contains("\"refused\"")) {
                rows.add(all.get(r));
            }
        }
        long[] event = {1};
        point(root, "bundles/a", event[0]);
        ModelRegistry registry = new ModelRegistry(root);
        Bundle direct = Bundle.load(root.resolve("bundles/a"));
        int calls = 200_000;

        Duration interval = Duration.ofMillis(10);
        List<Double> latencies = new ArrayList<>();
        long[] best = new long[5]; // direct, live, live while flipping, Bundle.load, resolve
        Arrays.fill(best, Long.MAX_VALUE);
        int flipped = 0;
        try (LiveModel live = LiveModel.open(registry, NAME + "@production", interval)) {
            // Warm-up, then the rounds interleaved so JIT and machine load hit every variant alike.
            for (int i = 0; i < 3; i++) {
                scoreLoop(calls, rows, r -> direct.score(r));
                scoreLoop(calls, rows, live::score);
                Bundle.load(root.resolve("bundles/a"));
                registry.resolve(NAME + "@production");
            }
            for (int round = 0; round < rounds; round++) {
                best[0] = Math.min(best[0], time(() -> scoreLoop(calls, rows, r -> direct.score(r))));
                best[1] = Math.min(best[1], time(() -> scoreLoop(calls, rows, live::score)));
                AtomicBoolean stop = new AtomicBoolean();
                Thread flipper = new Thread(() -> {
                    while (!stop.get()) {
                        point(root, event[0] % 2 == 0 ? "bundles/a" : "bundles/b", ++event[0]);
                        sleep(flipMs);
                    }
                });
                long before = live.current().pointer().eventId();
                flipper.start();
                best[2] = Math.min(best[2], time(() -> scoreLoop(calls, rows, live::score)));
                stop.set(true);
                flipper.join();
                flipped += (int) (live.current().pointer().eventId() - before);
                for (int k = 0; k < 5; k++) {
                    best[3] = Math.min(best[3], time(() -> Bundle.load(root.resolve("bundles/a"))));
                    best[4] = Math.min(best[4], time(() -> registry.resolve(NAME + "@production")));
                }
            }
            for (int i = 0; i < 20; i++) {
                sleep(25);
                long target = ++event[0];
                long written = point(root, target % 2 == 0 ? "bundles/a" : "bundles/b", target);
                while (live.current().pointer().eventId() != target) {
                    Thread.onSpinWait();
                }
                latencies.add((System.nanoTime() - written) / 1e6);
            }
        }
        latencies.sort(Comparator.naturalOrder());
        double median = latencies.get(latencies.size() / 2);
        double worst = latencies.get(latencies.size() - 1);
        double directRate = calls / (best[0] / 1e9);
        double liveRate = calls / (best[1] / 1e9);
        double flippingRate = calls / (best[2] / 1e9);
        double loadMs = best[3] / 1e6;
        double resolveMs = best[4] / 1e6;
        System.out.printf("bundle: %s (%d rows cycled, %d calls per round, best of %d interleaved rounds,"
                + " one scoring thread)%n", vectorCase.getFileName(), rows.size(), calls, rounds);
        System.out.printf("Bundle.score direct           %,10.0f rows/s  (baseline)%n", directRate);
        System.out.printf("LiveModel.score               %,10.0f rows/s  ratio %.3f%n", liveRate, liveRate / directRate);
        System.out.printf("LiveModel.score, flip/%dms    %,10.0f rows/s  ratio %.3f  (%d pointer flips in those rounds)%n",
                flipMs, flippingRate, flippingRate / directRate, flipped);
        System.out.printf("Bundle.load                   %10.2f ms     (baseline)%n", loadMs);
        System.out.printf("ModelRegistry.resolve         %10.2f ms     ratio %.3f%n", resolveMs, resolveMs / loadMs);
        System.out.printf("swap after a pointer write    median %.1f ms, max %.1f ms over %d writes"
                + " (poll %d ms; median / (load + poll/2) = %.2f)%n", median, worst, latencies.size(),
                interval.toMillis(), median / (loadMs + interval.toMillis() / 2.0));
    }

    interface Scorer {
        Object score(Map<String, Object> row);
    }

    private static Object scoreLoop(int calls, List<Map<String, Object>> rows, Scorer scorer) {
        Object last = null;
        for (int i = 0; i < calls; i++) {
            last = scorer.score(rows.get(i % rows.size()));
        }
        return last;
    }

    /** Wall time of one run of {@code task}, in ns. */
    private static long time(java.util.function.Supplier<Object> task) {
        long start = System.nanoTime();
        task.get();
        return System.nanoTime() - start;
    }

    /** Writes the pointer as the registry does (temp file + atomic rename); returns System.nanoTime() after. */
    private static long point(Path root, String uri, long eventId) {
        try {
            String hash = JsonLines.MAPPER.readTree(root.resolve(uri).resolve("manifest.json").toFile())
                    .get("content_hash").asText();
            String doc = String.format("{\"format\": \"railyard-registry-pointer/1\", \"name\": \"%s\", \"alias\":"
                    + " \"production\", \"version\": \"%s\", \"bundle_uri\": \"%s\", \"bundle_hash\": \"%s\","
                    + " \"event_id\": %d, \"updated_at\": \"%s\"}", NAME, hash.substring(7), uri, hash, eventId, Instant.now());
            Path file = root.resolve("registry/" + NAME + "/production.json");
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".production.", ".tmp");
            Files.writeString(tmp, doc, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return System.nanoTime();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void copy(Path source, Path target) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(source)) {
            for (Path f : files.toList()) {
                Path to = target.resolve(source.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
