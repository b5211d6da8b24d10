package dev.railyard.scorer.cli;

import dev.railyard.scorer.Bundle;
import dev.railyard.scorer.ScorerException;
import dev.railyard.scorer.io.CsvRows;
import dev.railyard.scorer.io.JsonLines;
import dev.railyard.scorer.registry.ModelRegistry;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar railyard-scorer-cli.jar BUNDLE_DIR INPUT(.csv|.jsonl) [OUTPUT.jsonl]}, or
 * {@code ... --registry ARTIFACT_ROOT NAME@ALIAS INPUT [OUTPUT.jsonl]}: the bundle the registry's
 * pointer names (resolved and verified by {@link ModelRegistry}, e.g. {@code fraud_v3/global@production}).
 *
 * <p>Writes one JSON line per input row: the prediction, or {"error": "Type: message"}
 * for a row that cannot be scored (missing column, wrong type, unknown category).
 * Exit status: 0 all rows scored, 1 some rows failed, 2 usage or bundle error.
 */
public final class ScoreCli {
    private ScoreCli() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    private static final String USAGE = "usage: railyard-scorer BUNDLE_DIR INPUT.csv|INPUT.jsonl [OUTPUT.jsonl]"
            + " | railyard-scorer --registry ARTIFACT_ROOT NAME@ALIAS INPUT.csv|INPUT.jsonl [OUTPUT.jsonl]";

    public static int run(String[] args, PrintStream stdout, PrintStream stderr) {
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
            Bundle bundle = registry
                    ? new ModelRegistry(Path.of(args[0])).resolve(args[1]).bundle()
                    : Bundle.load(Path.of(args[0]));
            args = Arrays.copyOfRange(args, extra, args.length);
            Path input = Path.of(args[1]);
            List<Map<String, Object>> rows;
            try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
                rows = input.toString().endsWith(".csv") ? CsvRows.read(in, bundle.inputSchema()) : JsonLines.read(in);
            }
            int failed = 0;
            try (Writer out = args.length == 3
                    ? Files.newBufferedWriter(Path.of(args[2]), StandardCharsets.UTF_8)
                    : new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8))) {
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
            }
            return failed == 0 ? 0 : 1;
        } catch (ScorerException | IOException e) {
            stderr.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            return 2;
        }
    }
}
