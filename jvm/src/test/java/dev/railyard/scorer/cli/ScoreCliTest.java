package dev.railyard.scorer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreCliTest {
    private static final String BUNDLE = "src/test/resources/vectors/fraud_v3_xgb_classifier/bundle";

    @Test
    void scoresACsvFileWithQuotedAndEmptyFields(@TempDir Path tmp) throws IOException {
        Path csv = tmp.resolve("rows.csv");
        Files.writeString(csv, String.join("\n",
                "amount,hour,account_age_days,prev_txn_24h,merchant_id,country,card_brand,channel",
                "12.5,3,400,,m01,BR,visa,web",
                ",23,0,2,\"m,02\",,mc,app",
                "x,1,1,1,m01,US,visa,web", ""));
        Path out = tmp.resolve("out.jsonl");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = ScoreCli.run(new String[] {BUNDLE, csv.toString(), out.toString()}, System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        List<String> lines = Files.readAllLines(out);
        assertEquals(1, rc, "one row fails: exit 1");
        assertEquals(3, lines.size());
        assertTrue(lines.get(0).contains("\"scores_bits\""), lines.get(0));
        assertTrue(lines.get(1).contains("\"label\""), lines.get(1));
        assertTrue(lines.get(2).startsWith("{\"error\":\"WrongTypeException"), lines.get(2));
    }

    @Test
    void strictTypesAndRefusalsAreErrorLines(@TempDir Path tmp) throws IOException {
        String base = "\"hour\": 3, \"account_age_days\": 400, \"prev_txn_24h\": 1, \"merchant_id\": \"m01\","
                + " \"card_brand\": \"visa\", \"channel\": \"web\"";
        Path jsonl = tmp.resolve("rows.jsonl");
        Files.writeString(jsonl, String.join("\n",
                "{" + base + ", \"amount\": 12.5, \"country\": \"BR\"}",
                "{" + base + ", \"amount\": 12.5, \"country\": [\"BR\"]}",
                "{" + base + ", \"amount\": Infinity, \"country\": \"BR\"}",
                "{" + base + ", \"amount\": \"12.5\", \"country\": \"BR\"}", ""));
        Path out = tmp.resolve("out.jsonl");
        int rc = ScoreCli.run(new String[] {"src/test/resources/vectors/fraud_v3_logistic_regression/bundle",
                jsonl.toString(), out.toString()}, System.out, System.err);
        List<String> lines = Files.readAllLines(out);
        assertEquals(1, rc);
        assertTrue(lines.get(0).contains("\"scores_bits\""), lines.get(0));
        assertEquals("{\"error\":\"WrongTypeException: Column 'country' must be a string. Got an array.\"}", lines.get(1));
        assertTrue(lines.get(2).startsWith("{\"error\":\"RefusedInputException: Step 'pipeline/preprocess/num/impute'"),
                lines.get(2));
        assertTrue(lines.get(3).contains("Column 'amount' must be a number. Got String '12.5'."), lines.get(3));
    }

    @Test
    void usageAndBadBundleExitTwo(@TempDir Path tmp) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(2, ScoreCli.run(new String[] {}, System.out, errStream));
        assertEquals(2, ScoreCli.run(new String[] {tmp.toString(), "x.jsonl"}, System.out, errStream));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("BundleFormatException"), err.toString());
    }
    @Test
    void batchScoresManyBundlesInOneJvmAndNamesAJobThatCannotRun(@TempDir Path tmp) throws IOException {
        String row = "{\"amount\": 12.5, \"hour\": 3, \"account_age_days\": 400, \"prev_txn_24h\": 1,"
                + " \"merchant_id\": \"m01\", \"country\": \"BR\", \"card_brand\": \"visa\", \"channel\": \"web\"}";
        Path rows = tmp.resolve("rows.jsonl");
        Files.writeString(rows, row + "\n" + row.replace("12.5", "\"x\"") + "\n");
        String logistic = "src/test/resources/vectors/fraud_v3_logistic_regression/bundle";
        Path jobs = tmp.resolve("jobs.jsonl");
        Files.writeString(jobs, String.join("\n",
                job(BUNDLE, rows, tmp.resolve("xgb.jsonl")),
                job(tmp.resolve("nope").toString(), rows, tmp.resolve("nope.jsonl")),
                job(logistic, rows, tmp.resolve("lr.jsonl")), ""));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = ScoreCli.run(new String[] {"--batch", jobs.toString()}, System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, rc, "a job without a bundle: exit 2");
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("job 1: BundleFormatException"), err.toString());
        for (String name : new String[] {"xgb.jsonl", "lr.jsonl"}) { // the jobs around it still ran
            List<String> lines = Files.readAllLines(tmp.resolve(name));
            assertEquals(2, lines.size(), name);
            assertTrue(lines.get(0).contains("\"scores_bits\""), lines.get(0));
            assertTrue(lines.get(1).startsWith("{\"error\":\"WrongTypeException"), lines.get(1));
        }
        // each job's scores are the single form's
        Path single = tmp.resolve("single.jsonl");
        ScoreCli.run(new String[] {logistic, rows.toString(), single.toString()}, System.out, System.err);
        assertEquals(Files.readAllLines(single), Files.readAllLines(tmp.resolve("lr.jsonl")));
        assertEquals(2, ScoreCli.run(new String[] {"--batch"}, System.out, new PrintStream(err, true, StandardCharsets.UTF_8)));
    }

    private static String job(String bundle, Path input, Path output) {
        return "{\"bundle\": \"" + bundle + "\", \"input\": \"" + input + "\", \"output\": \"" + output + "\"}";
    }
}
