package dev.railyard.scorer.registry;

import static dev.railyard.scorer.registry.RegistryFixture.FOREST;
import static dev.railyard.scorer.registry.RegistryFixture.XGB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.railyard.scorer.Prediction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live holder: swaps on a new pointer, keeps serving on a bad one, never mixes bundles. */
class LiveModelTest {
    private static final String NAME = "fraud_v3/global";
    private static final String REF = NAME + "@production";
    private static final String XGB_URI = "bundles/xgb.bundle";
    private static final String FOREST_URI = "bundles/forest.bundle";
    private static final Duration INTERVAL = Duration.ofMillis(20);
    /** How long past the poll interval a swap may take on a loaded machine (a load of the bundle included). */
    private static final Duration SLACK = Duration.ofSeconds(5);

    private static final List<Map<String, Object>> ROWS = RegistryFixture.rows(XGB);
    private static final List<long[]> WANT_XGB = RegistryFixture.expectedBits(XGB);
    private static final List<long[]> WANT_FOREST = RegistryFixture.expectedBits(FOREST);

    @TempDir
    Path root;

    RegistryFixture fx;
    ModelRegistry registry;
    final List<String> events = new CopyOnWriteArrayList<>();
    final LiveModel.Listener recorder = new LiveModel.Listener() {
        @Override
        public void swapped(ResolvedModel previous, ResolvedModel current) {
            events.add("swap " + previous.pointer().eventId() + "->" + current.pointer().eventId());
        }

        @Override
        public void failed(ModelRef ref, RegistryException error) {
            events.add("fail " + error.getClass().getSimpleName());
        }
    };

    @BeforeEach
    void setUp() {
        fx = new RegistryFixture(root);
        fx.addBundle(XGB, XGB_URI);
        fx.addBundle(FOREST, FOREST_URI);
        registry = new ModelRegistry(root);
        fx.point(NAME, "production", XGB_URI, 1);
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + INTERVAL.plus(SLACK).toNanos();
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(2);
        }
    }

    /** Which bundle's Python numbers {@code p} are for row {@code r}: 'X', 'F', or '?' for neither. */
    private static char which(int r, Prediction p) {
        long[] got = RegistryFixture.bits(p.scores());
        boolean x = Arrays.equals(got, WANT_XGB.get(r));
        boolean f = Arrays.equals(got, WANT_FOREST.get(r));
        return x && f ? '=' : x ? 'X' : f ? 'F' : '?';
    }

    /** The premise of every check here: one set of rows, and the two bundles' Python scores differ on each. */
    @Test
    void theTwoTestBundlesShareRowsAndDisagreeOnEveryRow() throws IOException {
        assertEquals(Files.readString(RegistryFixture.VECTORS.resolve(XGB).resolve("input.jsonl")),
                Files.readString(RegistryFixture.VECTORS.resolve(FOREST).resolve("input.jsonl")),
                "the vector cases " + XGB + " and " + FOREST + " must be generated on the same rows");
        assertEquals(ROWS.size(), WANT_FOREST.size());
        for (int r = 0; r < ROWS.size(); r++) {
            assertFalse(Arrays.equals(WANT_XGB.get(r), WANT_FOREST.get(r)), "row " + r);
        }
    }

    @Test
    void swapsToANewPointerWithoutARestart() throws InterruptedException {
        try (LiveModel live = LiveModel.open(registry, REF, INTERVAL, recorder)) {
            assertEquals('X', which(0, live.score(ROWS.get(0))));
            fx.point(NAME, "production", FOREST_URI, 2);
            await("the swap to event 2", () -> live.current().pointer().eventId() == 2);
            assertEquals('F', which(0, live.score(ROWS.get(0))));
            List<Prediction> batch = live.scoreBatch(ROWS);
            for (int r = 0; r < ROWS.size(); r++) {
                assertEquals('F', which(r, batch.get(r)), "row " + r);
            }
            assertEquals(List.of("swap 1->2"), events);
            assertTrue(live.lastError().isEmpty());
            // Same bundle, new event (e.g. the alias was set again): reloaded and swapped too.
            fx.point(NAME, "production", FOREST_URI, 3);
            await("the swap to event 3", () -> live.current().pointer().eventId() == 3);
        }
    }

    @Test
    void aBadPointerKeepsTheOldModelServingAndIsReported() throws IOException, InterruptedException {
        String forestHash = RegistryFixture.contentHash(root.resolve(FOREST_URI));
        String xgbHash = RegistryFixture.contentHash(root.resolve(XGB_URI));
        try (LiveModel live = LiveModel.open(registry, REF, INTERVAL, recorder)) {
            ResolvedModel serving = live.current();
            List<Runnable> bad = List.of(
                    () -> fx.write(NAME, "production", RegistryFixture.pointer(NAME, "production", FOREST_URI, xgbHash, 2)),
                    () -> fx.write(NAME, "production",
                            RegistryFixture.pointer(NAME, "production", "bundles/missing.bundle", forestHash, 3)),
                    () -> fx.writeRaw(NAME, "production", "{\"format\": \"railyard-registry-pointer/1\", \"name\""),
                    () -> fx.writeRaw(NAME, "production", "{\"format\": \"railyard-registry-pointer/9\"}"),
                    () -> fx.write(NAME, "production", RegistryFixture.pointer(NAME, "production", "../x", forestHash, 4)),
                    () -> {
                        try {
                            Files.delete(fx.pointerFile(NAME, "production"));
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            List<Class<? extends RegistryException>> kinds = List.of(BundleHashMismatchException.class,
                    BundleUnavailableException.class, PointerFormatException.class, PointerFormatException.class,
                    BundleOutsideRootException.class, UnknownModelException.class);
            for (int i = 0; i < bad.size(); i++) {
                bad.get(i).run();
                Class<? extends RegistryException> kind = kinds.get(i);
                await(kind.getSimpleName(), () -> live.lastError().filter(kind::isInstance).isPresent());
                Thread.sleep(INTERVAL.toMillis() * 3); // more polls of the same bad pointer
                assertSame(serving, live.current());
                assertEquals('X', which(3, live.score(ROWS.get(3))));
                assertEquals('X', which(4, live.scoreBatch(ROWS).get(4)));
            }
            // Each distinct error was told to the listener once, however many polls saw it.
            assertEquals(List.of("fail BundleHashMismatchException", "fail BundleUnavailableException",
                    "fail PointerFormatException", "fail PointerFormatException", "fail BundleOutsideRootException",
                    "fail UnknownModelException"), events);
            fx.point(NAME, "production", FOREST_URI, 5);
            await("the swap to event 5", () -> live.current().pointer().eventId() == 5);
            assertTrue(live.lastError().isEmpty());
            assertEquals('F', which(3, live.score(ROWS.get(3))));
        }
    }

    @Test
    void aFailingListenerDoesNotStopPolling() throws InterruptedException {
        LiveModel.Listener throwing = new LiveModel.Listener() {
            @Override
            public void swapped(ResolvedModel previous, ResolvedModel current) {
                throw new IllegalStateException("listener bug");
            }
        };
        try (LiveModel live = LiveModel.open(registry, REF, INTERVAL, throwing)) {
            fx.point(NAME, "production", FOREST_URI, 2);
            await("event 2", () -> live.current().pointer().eventId() == 2);
            fx.point(NAME, "production", XGB_URI, 3);
            await("event 3", () -> live.current().pointer().eventId() == 3);
        }
    }

    @Test
    void closeStopsPolling() throws InterruptedException {
        LiveModel live = LiveModel.open(registry, REF, INTERVAL, recorder);
        live.close();
        fx.point(NAME, "production", FOREST_URI, 2);
        Thread.sleep(INTERVAL.toMillis() * 10);
        assertEquals(1, live.current().pointer().eventId());
        assertEquals('X', which(0, live.score(ROWS.get(0))));
        assertTrue(events.isEmpty(), events.toString());
        live.close(); // twice is fine
    }

    @Test
    void aListenerMayCloseTheHolder() throws InterruptedException {
        LiveModel[] holder = new LiveModel[1];
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        holder[0] = LiveModel.open(registry, REF, INTERVAL, new LiveModel.Listener() {
            @Override
            public void swapped(ResolvedModel previous, ResolvedModel current) {
                holder[0].close();
                closed.countDown();
            }
        });
        fx.point(NAME, "production", FOREST_URI, 2);
        assertTrue(closed.await(INTERVAL.plus(SLACK).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
        fx.point(NAME, "production", XGB_URI, 3);
        Thread.sleep(INTERVAL.toMillis() * 10);
        assertEquals(2, holder[0].current().pointer().eventId());
    }

    @Test
    void refreshReadsThePointerNow() {
        try (LiveModel live = LiveModel.open(registry, REF, Duration.ofHours(1), recorder)) {
            fx.point(NAME, "production", FOREST_URI, 2);
            assertEquals(2, live.refresh().pointer().eventId());
            assertEquals(List.of("swap 1->2"), events);
        }
    }

    @Test
    void openingNeedsAModelToServe() {
        assertThrows(UnknownModelException.class, () -> LiveModel.open(registry, NAME + "@candidate", INTERVAL));
        assertThrows(InvalidModelRefException.class, () -> LiveModel.open(registry, "fraud_v3/global", INTERVAL));
        assertThrows(IllegalArgumentException.class, () -> LiveModel.open(registry, REF, Duration.ZERO));
        fx.write(NAME, "candidate", RegistryFixture.pointer(NAME, "candidate", XGB_URI,
                RegistryFixture.contentHash(root.resolve(FOREST_URI)), 1));
        assertThrows(BundleHashMismatchException.class, () -> LiveModel.open(registry, NAME + "@candidate", INTERVAL));
    }

    private record RefusedWindow(long event, char bundle) {}

    /**
     * Threads score rows and batches while the pointer flips between the two bundles many
     * times (with refused pointers in between): every result is exactly one bundle's Python
     * numbers for that row, a batch is one bundle throughout, no call fails, and after the
     * last flip every thread scores with the new bundle within the poll interval + slack.
     */
    @Test
    void swapUnderConcurrentScoring() throws Exception {
        int threads = 4;
        int flips = 30;
        String xgbHash = RegistryFixture.contentHash(root.resolve(XGB_URI));
        String forestHash = RegistryFixture.contentHash(root.resolve(FOREST_URI));
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        // Open while a refused pointer is in place: the bundle it names must never score.
        AtomicReference<RefusedWindow> refused = new AtomicReference<>();
        // Per thread: calls that returned each bundle, and the start time of the latest call per bundle.
        long[][] seen = new long[threads][2];
        AtomicLongArray lastStart = new AtomicLongArray(threads * 2); // [thread * 2 + bundle]
        try (LiveModel live = LiveModel.open(registry, REF, INTERVAL, recorder)) {
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread worker = new Thread(() -> {
                    int r = id;
                    long calls = 0;
                    while (!stop.get()) {
                        RefusedWindow window = refused.get();
                        long start = System.nanoTime();
                        char got;
                        try {
                            if (calls++ % 4 == 3) {
                                int from = r % (ROWS.size() - 16);
                                List<Prediction> batch = live.scoreBatch(ROWS.subList(from, from + 16));
                                got = which(from, batch.get(0));
                                for (int k = 1; k < batch.size(); k++) {
                                    if (which(from + k, batch.get(k)) != got) {
                                        problems.add("batch at row " + from + " mixes bundles: row " + (from + k));
                                    }
                                }
                            } else {
                                got = which(r, live.score(ROWS.get(r)));
                            }
                        } catch (RuntimeException e) {
                            problems.add("thread " + id + ": " + e);
                            continue;
                        }
                        if (got != 'X' && got != 'F') {
                            problems.add("row " + r + ": scores of neither bundle (" + got + ")");
                            continue;
                        }
                        if (window != null && refused.get() == window && got == window.bundle()) {
                            problems.add("row " + r + ": scored by the bundle of refused pointer " + window.event());
                        }
                        int b = got == 'X' ? 0 : 1;
                        seen[id][b]++;
                        lastStart.set(id * 2 + b, start);
                        r = (r + 7) % ROWS.size();
                    }
                }, "scorer-" + t);
                workers.add(worker);
                worker.start();
            }
            long event = 1;
            for (int flip = 1; flip <= flips; flip++) {
                long want = ++event;
                if (flip % 5 == 0) {
                    // A refused pointer between two good ones: it names the other bundle with the serving one's
                    // hash. The old model goes on serving; the other bundle must not score, not even briefly.
                    boolean servingXgb = live.current().bundleDir().equals(root.resolve(XGB_URI).toRealPath());
                    String hash = servingXgb ? xgbHash : forestHash;
                    refused.set(new RefusedWindow(want, servingXgb ? 'F' : 'X'));
                    fx.write(NAME, "production", RegistryFixture.pointer(NAME, "production",
                            servingXgb ? FOREST_URI : XGB_URI, hash, want));
                    await("a refused pointer " + want, () -> live.lastError().isPresent());
                    Thread.sleep(3 * INTERVAL.toMillis());
                    refused.set(null);
                    want = ++event;
                }
                long target = want;
                fx.point(NAME, "production", flip % 2 == 1 ? FOREST_URI : XGB_URI, want);
                await("flip " + flip, () -> live.current().pointer().eventId() == target);
                Thread.sleep(3);
            }
            // The last flip: to the forest. Time it from the pointer write to the swap.
            long finalEvent = ++event;
            long written = System.nanoTime();
            fx.point(NAME, "production", FOREST_URI, finalEvent);
            await("the final swap", () -> live.current().pointer().eventId() == finalEvent);
            long swapped = System.nanoTime();
            await("every thread scoring with the new bundle", () -> {
                for (int t = 0; t < threads; t++) {
                    if (lastStart.get(t * 2 + 1) <= swapped) {
                        return false;
                    }
                }
                return true;
            });
            Thread.sleep(20);
            stop.set(true);
            for (Thread w : workers) {
                w.join(10_000);
                assertFalse(w.isAlive(), w.getName() + " still running");
            }
            assertTrue(problems.isEmpty(), problems.size() + " problems, first: " + problems.peek());
            long swapsTold = events.stream().filter(e -> e.startsWith("swap")).count();
            assertEquals(flips + 1, swapsTold, events.toString());
            assertEquals(flips / 5, events.stream().filter(e -> e.startsWith("fail")).count(), events.toString());
            assertTrue(swapped - written <= INTERVAL.plus(SLACK).toNanos(), "swap took " + (swapped - written) / 1e6 + " ms");
            for (int t = 0; t < threads; t++) {
                assertTrue(seen[t][0] > 0 && seen[t][1] > 0, "thread " + t + " saw only one bundle: "
                        + Arrays.toString(seen[t]));
                // Once the swap is visible no call that starts later gets the old bundle, and every thread got the new one.
                assertTrue(lastStart.get(t * 2) < swapped, "thread " + t + " scored with the old bundle after the swap");
                assertTrue(lastStart.get(t * 2 + 1) > swapped, "thread " + t + " did not score with the new bundle");
            }
            System.out.println("swap under concurrent scoring: " + threads + " threads, " + (flips + 1) + " swaps, "
                    + Arrays.stream(seen).mapToLong(s -> s[0] + s[1]).sum() + " calls, final swap "
                    + (swapped - written) / 1_000_000 + " ms after the pointer write");
        }
    }
}
