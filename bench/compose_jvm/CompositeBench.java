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
        long[] best = new long[5]; // member, composite (one member), composite (spread), load member, load composite
        Arrays.fill(best, Long.MAX_VALUE);
        for (int i = 0; i < 3; i++) { // warm-up, then the rounds interleaved
            loop(calls, one, member::score);
            loop(calls, one, composite::score);
            loop(calls, spread, composite::score);
        }
        for (int round = 0; round < rounds; round++) {
            best[0] = Math.min(best[0], time(() -> loop(calls, one, member::score)));
            best[1] = Math.min(best[1], time(() -> loop(calls, one, composite::score)));
            best[2] = Math.min(best[2], time(() -> loop(calls, spread, composite::score)));
            best[3] = Math.min(best[3], time(() -> Bundle.load(memberDir)));
            best[4] = Math.min(best[4], time(() -> CompositeBundle.load(compositeDir)));
        }
        double base = best[0] / (double) calls;
        System.out.printf("composition: %d routes (best of %d interleaved rounds, %d calls each, one thread)%n",
                composite.routes(), rounds, calls);
        System.out.printf("member Bundle.score                     %8.0f ns/row  (baseline)%n", base);
        System.out.printf("CompositeBundle.score, rows of it       %8.0f ns/row  ratio %.3f  (target <= 1.10)%n",
                best[1] / (double) calls, best[1] / (double) calls / base);
        System.out.printf("CompositeBundle.score, rows of all      %8.0f ns/row  ratio %.3f%n",
                best[2] / (double) calls, best[2] / (double) calls / base);
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

    private static long time(java.util.function.Supplier<Object> task) {
        long start = System.nanoTime();
        task.get();
        return System.nanoTime() - start;
    }
}
