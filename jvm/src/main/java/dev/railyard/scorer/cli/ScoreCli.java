package dev.railyard.scorer.cli;

import dev.railyard.scorer.Scorer;
import dev.railyard.scorer.ScorerException;
import dev.railyard.scorer.io.CsvRows;
import dev.railyard.scorer.io.JsonLines;
import dev.railyard.scorer.registry.LiveModel;
import dev.railyard.scorer.registry.ModelRegistry;
import dev.railyard.scorer.registry.ResolvedModel;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar railyard-scorer-cli.jar BUNDLE_DIR INPUT(.csv|.jsonl) [OUTPUT.jsonl]}, or
 * {@code ... --registry ARTIFACT_ROOT NAME@ALIAS INPUT [OUTPUT.jsonl]}: the bundle the registry's
 * pointer names (resolved and verified by {@link ModelRegistry}, e.g. {@code fraud_v3/global@production}).
 *
 * <p>{@code ... --watch ARTIFACT_ROOT NAME@ALIAS INPUT INTERVAL_MS ROUNDS}: a scoring loop that
 * follows the alias ({@link LiveModel}, polling every INTERVAL_MS): each round scores every row
 * with the model serving then and prints one JSON line, {"round", "version", "event_id",
 * "predictions": [...]}; a pointer change is picked up without a restart.
 *
 * <p>{@code ... --batch JOBS.jsonl}: many bundles in one JVM (a sweep's shadow scores two
 * bundles per name). Each line of JOBS is {"bundle": DIR, "input": FILE, "output": FILE}, scored
 * as the single form scores it; a job whose bundle or input cannot be read is named on stderr
 * ("job N: Type: message") and the rest still run.
 *
 * <p>Writes one JSON line per input row: the prediction, or {"error": "Type: message"}
 * for a row that cannot be scored (missing column, wrong type, unknown category).
 * Exit status: 0 all rows scored, 1 some rows failed, 2 usage or bundle error (in any job).
 */
public final class ScoreCli {
    private ScoreCli() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    private static final String USAGE = "usage: railyard-scorer BUNDLE_DIR INPUT.csv|INPUT.jsonl [OUTPUT.jsonl]"
            + " | railyard-scorer --registry ARTIFACT_ROOT NAME@ALIAS INPUT.csv|INPUT.jsonl [OUTPUT.jsonl]";

    public static int run(String[] args, PrintStream stdout, PrintStream stderr) {
        if (args.length > 0 && args[0].equals("--watch")) {
            return watch(Arrays.copyOfRange(args, 1, args.length), stdout, stderr);
        }
        if (args.length > 0 && args[0].equals("--batch")) {
            return batch(Arrays.copyOfRange(args, 1, args.length), stderr);
        }
        boolean registry = args.length > 0 && args[0].equals("--registry");
        if (registry) {
            args = Arrays.copyOfRange(args, 1, args.length);
        }
        int extra = registry ? 1 : 0;
        if (args.length < 2 + extra || args.length > 3 + extra) {
            stderr.println(USAGE);
            return 2;
        }
        try {
            Scorer bundle = registry
                    ? new ModelRegistry(Path.of(args[0])).resolve(args[1]).bundle()
                    : Scorer.load(Path.of(args[0]));
            args = Arrays.copyOfRange(args, extra, args.length);
            try (Writer out = args.length == 3
                    ? Files.newBufferedWriter(Path.of(args[2]), StandardCharsets.UTF_8)
                    : new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8))) {
                return scoreFile(bundle, Path.of(args[1]), out) == 0 ? 0 : 1;
            }
        } catch (ScorerException | IOException e) {
            stderr.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            return 2;
        }
    }

    /** Scores every row of {@code input} with {@code bundle}; returns the rows that failed. */
    private static int scoreFile(Scorer bundle, Path input, Writer out) throws IOException {
        List<Map<String, Object>> rows;
        try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            rows = input.toString().endsWith(".csv") ? CsvRows.read(in, bundle.inputSchema()) : JsonLines.read(in);
        }
        int failed = 0;
        for (Map<String, Object> row : rows) {
            String line;
            try {
                line = JsonLines.prediction(bundle.score(row));
            } catch (ScorerException e) {
                failed++;
                line = JsonLines.error(e);
            }
            out.write(line);
            out.write('\n');
        }
        return failed;
    }

    private static int batch(String[] args, PrintStream stderr) {
        if (args.length != 1) {
            stderr.println("usage: railyard-scorer --batch JOBS.jsonl (one {\"bundle\", \"input\", \"output\"} per line)");
            return 2;
        }
        List<Map<String, Object>> jobs;
        try (BufferedReader in = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
            jobs = JsonLines.read(in);
        } catch (IOException e) {
            stderr.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            return 2;
        }
        int status = 0;
        for (int i = 0; i < jobs.size(); i++) {
            Map<String, Object> job = jobs.get(i);
            try {
                Object bundleDir = job.get("bundle");
                Object input = job.get("input");
                Object output = job.get("output");
                if (!(bundleDir instanceof String) || !(input instanceof String) || !(output instanceof String)) {
                    throw new IOException("a job needs the strings bundle, input and output; got " + job.keySet());
                }
                Scorer bundle = Scorer.load(Path.of((String) bundleDir));
                try (Writer out = Files.newBufferedWriter(Path.of((String) output), StandardCharsets.UTF_8)) {
                    if (scoreFile(bundle, Path.of((String) input), out) > 0) {
                        status = Math.max(status, 1);
                    }
                }
            } catch (ScorerException | IOException e) {
                stderr.println("job " + i + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
                status = 2;
            }
        }
        return status;
    }

    private static int watch(String[] args, PrintStream stdout, PrintStream stderr) {
        if (args.length != 5) {
            stderr.println("usage: railyard-scorer --watch ARTIFACT_ROOT NAME@ALIAS INPUT.csv|INPUT.jsonl INTERVAL_MS ROUNDS");
            return 2;
        }
        long interval;
        long rounds;
        try {
            interval = Long.parseLong(args[3]);
            rounds = Long.parseLong(args[4]);
        } catch (NumberFormatException e) {
            stderr.println("INTERVAL_MS and ROUNDS must be integers; got " + args[3] + " and " + args[4] + ".");
            return 2;
        }
        if (interval <= 0 || rounds <= 0) {
            stderr.println("INTERVAL_MS and ROUNDS must be positive; got " + interval + " and " + rounds + ".");
            return 2;
        }
        try (LiveModel live = LiveModel.open(new ModelRegistry(Path.of(args[0])), args[1], Duration.ofMillis(interval))) {
            Path input = Path.of(args[2]);
            List<Map<String, Object>> rows;
            try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
                rows = input.toString().endsWith(".csv")
                        ? CsvRows.read(in, live.current().bundle().inputSchema())
                        : JsonLines.read(in);
            }
            for (long round = 0; round < rounds; round++) {
                ResolvedModel serving = live.current(); // one model for the whole round
                StringBuilder line = new StringBuilder();
                line.append("{\"round\": ").append(round)
                        .append(", \"version\": ").append(JsonLines.MAPPER.writeValueAsString(serving.pointer().version()))
                        .append(", \"event_id\": ").append(serving.pointer().eventId())
                        .append(", \"predictions\": [");
                for (int r = 0; r < rows.size(); r++) {
                    if (r > 0) {
                        line.append(", ");
                    }
                    String scored;
                    try {
                        scored = JsonLines.prediction(serving.bundle().score(rows.get(r)));
                    } catch (ScorerException e) {
                        scored = JsonLines.error(e);
                    }
                    line.append(scored);
                }
                line.append("]}");
                stdout.println(line);
                stdout.flush();
                Thread.sleep(interval);
            }
            return 0;
        } catch (ScorerException | IOException e) {
            stderr.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 2;
        }
    }
}
