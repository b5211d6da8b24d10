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
    void usageAndBadBundleExitTwo(@TempDir Path tmp) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(2, ScoreCli.run(new String[] {}, System.out, errStream));
        assertEquals(2, ScoreCli.run(new String[] {tmp.toString(), "x.jsonl"}, System.out, errStream));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("BundleFormatException"), err.toString());
    }
}
