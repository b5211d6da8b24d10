import dev.railyard.scorer.Bundle;
import dev.railyard.scorer.CompositeBundle;
import dev.railyard.scorer.io.JsonLines;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A routed composition against the single member a row routes to, in the same run (java
 * source-file mode, run by bench/compose_jvm.py): per-row cost of CompositeBundle.score vs
 * Bundle.score of the member, with every row routed to one member and with the rows spread
 * over all members; and CompositeBundle.load of the whole bundle vs Bundle.load of one member.
 *
 * <p>usage: java -cp CLASSPATH CompositeBench.java COMPOSITE_DIR MEMBER_DIR ONE.jsonl SPREAD.jsonl [ROUNDS]
 */
public final class CompositeBench {
    public static void main(String[] args) throws Exception {
        Path compositeDir = Path.of(args[0]);
        Path memberDir = Path.of(args[1]);
        List<Map<String, Object>> one = rows(Path.of(args[2]));
        List<Map<String, Object>> spread = rows(Path.of(args[3]));
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        int calls = 200_000;

        long loadStart = System.nanoTime();
        CompositeBundle composite = CompositeBundle.load(compositeDir);
        double firstLoadMs = (System.nanoTime() - loadStart) / 1e6;
        Bundle member = Bundle.load(memberDir);
        // The spread rows scored by their own member without the router: each row's member
        // bundle looked up once, up front (what the routing costs beyond touching N models).
        Map<String, Bundle> byValue = new java.util.HashMap<>();
        var manifest = JsonLines.MAPPER.readTree(compositeDir.resolve("manifest.json").toFile());
        for (var route : manifest.get("routes")) {
            byValue.put(route.get(0).asText(),
                    Bundle.load(compositeDir.resolve("members").resolve(route.get(1).asText())));
        }
        Bundle[] own = new Bundle[spread.size()];
        for (int r = 0; r < own.length; r++) {
            own[r] = byValue.get((String) spread.get(r).get("merchant_id"));
        }
        long[] best = new long[6]; // member, composite (one), composite (spread), load member, load composite, own (spread)
        Arrays.fill(best, Long.MAX_VALUE);
        for (int i = 0; i < 3; i++) { // warm-up, then the rounds interleaved
            loop(calls, one, member::score);
            loop(calls, one, composite::score);
            loop(calls, spread, composite::score);
            direct(calls, spread, own);
        }
        for (int round = 0; round < rounds; round++) {
            best[0] = Math.min(best[0], time(() -> loop(calls, one, member::score)));
            best[1] = Math.min(best[1], time(() -> loop(calls, one, composite::score)));
            best[2] = Math.min(best[2], time(() -> loop(calls, spread, composite::score)));
            best[5] = Math.min(best[5], time(() -> direct(calls, spread, own)));
            best[3] = Math.min(best[3], time(() -> Bundle.load(memberDir)));
            best[4] = Math.min(best[4], time(() -> CompositeBundle.load(compositeDir)));
        }
        double base = best[0] / (double) calls;
        System.out.printf("composition: %d routes (best of %d interleaved rounds, %d calls each, one thread)%n",
                composite.routes(), rounds, calls);
        System.out.printf("member Bundle.score                     %8.0f ns/row  (baseline)%n", base);
        System.out.printf("CompositeBundle.score, rows of it       %8.0f ns/row  ratio %.3f  (target <= 1.10)%n",
                best[1] / (double) calls, best[1] / (double) calls / base);
        double ownRate = best[5] / (double) calls;
        System.out.printf("each row's own member Bundle.score      %8.0f ns/row  (baseline: rows of all members, no router)%n",
                ownRate);
        System.out.printf("CompositeBundle.score, rows of all      %8.0f ns/row  ratio %.3f to their own members, %.3f to one member%n",
                best[2] / (double) calls, best[2] / (double) calls / ownRate, best[2] / (double) calls / base);
        System.out.printf("Bundle.load of the member               %8.1f ms%n", best[3] / 1e6);
        System.out.printf("CompositeBundle.load, first (cold JVM)  %8.1f ms  (target <= 2000)%n", firstLoadMs);
        System.out.printf("CompositeBundle.load, warm              %8.1f ms%n", best[4] / 1e6);
    }

    private static List<Map<String, Object>> rows(Path file) throws Exception {
        try (BufferedReader in = Files.newBufferedReader(file)) {
            return JsonLines.read(in);
        }
    }

    private static Object loop(int calls, List<Map<String, Object>> rows, Function<Map<String, Object>, Object> f) {
        Object last = null;
        for (int i = 0; i < calls; i++) {
            last = f.apply(rows.get(i % rows.size()));
        }
        return last;
    }

    private static Object direct(int calls, List<Map<String, Object>> rows, Bundle[] own) {
        Object last = null;
        for (int i = 0; i < calls; i++) {
            int r = i % rows.size();
            last = own[r].score(rows.get(r));
        }
        return last;
    }

    private static long time(java.util.function.Supplier<Object> task) {
        long start = System.nanoTime();
        task.get();
        return System.nanoTime() - start;
    }
}
