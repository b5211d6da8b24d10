package dev.railyard.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.railyard.scorer.Bundle;
import dev.railyard.scorer.InputColumn;
import dev.railyard.scorer.Prediction;
import dev.railyard.scorer.RefusedInputException;
import dev.railyard.scorer.io.JsonLines;
import java.io.BufferedReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows per second of railyard-scorer vs onnxruntime-java on the same pipeline, in the same
 * run, single thread: one row per call, and batches. Input conversion (Map rows → cells,
 * or → ONNX tensors) is timed on both sides.
 *
 * <p>usage: JvmScoringBench BUNDLE_DIR MODEL.onnx ROWS.jsonl [BATCH] [ROUNDS] [WARMUP]
 *
 * <p>WARMUP (default 1) untimed rounds precede each mode's timed rounds. The JIT compiles
 * code that runs once per batch (a batch's column loops) only after some hundred calls, so
 * one round of 20 batches times partly interpreted or profiling code; onnxruntime is native
 * and needs no warm-up.
 */
public final class JvmScoringBench {
    private JvmScoringBench() {}

    public static void main(String[] args) throws Exception {
        Bundle bundle = Bundle.load(Path.of(args[0]));
        List<Map<String, Object>> read;
        try (BufferedReader in = Files.newBufferedReader(Path.of(args[2]))) {
            read = JsonLines.read(in);
        }
        List<Map<String, Object>> rows = scorable(bundle, read);
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        warmup = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        try (OrtSession session = env.createSession(args[1], options)) {
            List<InputColumn> schema = bundle.inputSchema();
            double maxDiff = 0;
            for (int start = 0; start < rows.size(); start += batch) {
                List<Map<String, Object>> part = rows.subList(start, Math.min(rows.size(), start + batch));
                float[][] probs = ort(env, session, schema, part);
                for (int i = 0; i < part.size(); i++) {
                    double jvm = bundle.score(part.get(i)).scores()[1];
                    maxDiff = Math.max(maxDiff, Math.abs(jvm - probs[i][1]));
                }
            }
            System.out.printf("rows=%d batch=%d rounds=%d warmup=%d  max|railyard - onnxruntime| = %.3g%n",
                    rows.size(), batch, rounds, warmup, maxDiff);
            double[] jvmSingle = best(rounds, () -> {
                for (Map<String, Object> r : rows) {
                    sink(bundle.score(r));
                }
            });
            double[] ortSingle = best(rounds, () -> {
                for (Map<String, Object> r : rows) {
                    sink(ort(env, session, schema, List.of(r)));
                }
            });
            double[] jvmBatch = best(rounds, () -> {
                for (int s = 0; s < rows.size(); s += batch) {
                    for (Prediction p : bundle.scoreBatch(rows.subList(s, Math.min(rows.size(), s + batch)))) {
                        sink(p);
                    }
                }
            });
            double[] ortBatch = best(rounds, () -> {
                for (int s = 0; s < rows.size(); s += batch) {
                    sink(ort(env, session, schema, rows.subList(s, Math.min(rows.size(), s + batch))));
                }
            });
            double n = rows.size();
            for (int k = 0; k < 2; k++) {
                String clock = k == 0 ? "wall" : "cpu ";
                System.out.printf("%s single row  railyard %,12.0f rows/s   onnxruntime %,12.0f rows/s   ratio %.2fx%n",
                        clock, n / jvmSingle[k], n / ortSingle[k], ortSingle[k] / jvmSingle[k]);
                System.out.printf("%s batch %-5d railyard %,12.0f rows/s   onnxruntime %,12.0f rows/s   ratio %.2fx%n",
                        clock, batch, n / jvmBatch[k], n / ortBatch[k], ortBatch[k] / jvmBatch[k]);
            }
            System.out.println("(ratio = railyard rows/s ÷ onnxruntime rows/s; both single-threaded; wall: elapsed"
                    + " time, cpu: the calling thread's CPU time, which onnxruntime with one intra-op thread also"
                    + " runs on, and which a busy machine's other processes do not inflate)");
        }
    }

    /**
     * The rows the bundle scores: the holdout's edge rows include ±inf, which scikit-learn
     * (and so railyard) refuses; both routes are timed on the same remaining rows.
     */
    private static List<Map<String, Object>> scorable(Bundle bundle, List<Map<String, Object>> rows) {
        List<Map<String, Object>> out = new ArrayList<>(rows.size());
        for (Map<String, Object> r : rows) {
            try {
                bundle.score(r);
                out.add(r);
            } catch (RefusedInputException e) {
                // refused in Python too: not part of either route's timing
            }
        }
        System.out.printf("rows refused as scikit-learn refuses them (left out): %d%n", rows.size() - out.size());
        return out;
    }

    private static volatile Object blackhole;
    private static int warmup = 1;

    private static void sink(Object o) {
        blackhole = o;
    }

    interface Body {
        void run() throws Exception;
    }

    /** Best wall time and best thread CPU time in seconds over the rounds, after the warm-up rounds. */
    private static double[] best(int rounds, Body body) throws Exception {
        for (int i = 0; i < warmup; i++) {
            body.run();
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        for (int i = 0; i < rounds; i++) {
            long t = System.nanoTime();
            long c = threads.getCurrentThreadCpuTime();
            body.run();
            best[1] = Math.min(best[1], (threads.getCurrentThreadCpuTime() - c) / 1e9);
            best[0] = Math.min(best[0], (System.nanoTime() - t) / 1e9);
        }
        return best;
    }

    private static float[][] ort(OrtEnvironment env, OrtSession session, List<InputColumn> schema,
                                 List<Map<String, Object>> rows) throws OrtException {
        Map<String, OnnxTensor> feeds = new HashMap<>();
        long[] shape = {rows.size(), 1};
        try {
            for (InputColumn c : schema) {
                if (!session.getInputNames().contains(c.name())) {
                    continue;
                }
                if (c.isNumber()) {
                    float[][] v = new float[rows.size()][1];
                    for (int i = 0; i < v.length; i++) {
                        Object x = rows.get(i).get(c.name());
                        v[i][0] = x == null ? Float.NaN : (float) ((Number) x).doubleValue();
                    }
                    feeds.put(c.name(), OnnxTensor.createTensor(env, v));
                } else {
                    String[] v = new String[rows.size()];
                    for (int i = 0; i < v.length; i++) {
                        Object x = rows.get(i).get(c.name());
                        v[i] = x == null || x instanceof Double ? "" : x.toString(); // None or NaN: ONNX has no missing string
                    }
                    feeds.put(c.name(), OnnxTensor.createTensor(env, v, shape));
                }
            }
            try (OrtSession.Result result = session.run(feeds)) {
                return (float[][]) result.get("probabilities").orElseThrow().getValue();
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }
}
