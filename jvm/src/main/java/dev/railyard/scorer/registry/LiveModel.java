package dev.railyard.scorer.registry;

import dev.railyard.scorer.Prediction;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The model an alias points at, kept current without a restart: a background thread reads
 * the pointer every {@code interval} and, when its {@code event_id} or {@code version}
 * changed, loads and verifies the new bundle completely, then swaps it in with one atomic
 * reference write.
 *
 * <pre>{@code
 * try (LiveModel live = LiveModel.open(registry, "fraud_v3/global@production", Duration.ofSeconds(10))) {
 *     Prediction p = live.score(row);               // one bundle from start to finish
 *     List<Prediction> ps = live.scoreBatch(rows);  // the whole batch by one bundle
 * }
 * }</pre>
 *
 * <ul>
 * <li>Each {@link #score}/{@link #scoreBatch} call reads the reference once and uses that
 *     bundle to the end; calls in flight during a swap finish on the old bundle, later calls
 *     get the new one. To do several calls with one bundle, take {@link #current()} and
 *     score on its bundle.</li>
 * <li>A new pointer that fails (malformed JSON, unknown format, bundle missing, outside the
 *     root, damaged, or a content hash other than its {@code bundle_hash}), and a deleted
 *     pointer (the alias was removed), leave the old model serving; the error is
 *     {@link #lastError()} and goes to {@link Listener#failed} (once per distinct error). The
 *     pointer is read again at the next poll, so a fixed pointer is picked up.</li>
 * <li>{@link #close()} stops polling; the last model keeps scoring.</li>
 * </ul>
 */
public final class LiveModel implements AutoCloseable {
    /** Told about swaps and failed reloads, on the polling thread. Exceptions it throws are ignored. */
    public interface Listener {
        default void swapped(ResolvedModel previous, ResolvedModel current) {}

        default void failed(ModelRef ref, RegistryException error) {}
    }

    private static final Listener NONE = new Listener() {};

    private final ModelRegistry registry;
    private final ModelRef ref;
    private final Listener listener;
    private final AtomicReference<ResolvedModel> current = new AtomicReference<>();
    private final AtomicReference<RegistryException> lastError = new AtomicReference<>();
    private final ScheduledExecutorService poller;
    private volatile Thread pollerThread;
    private String lastReported; // message of the last error given to the listener; poller thread only

    private LiveModel(ModelRegistry registry, ModelRef ref, Duration interval, Listener listener) {
        if (interval == null || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("The poll interval must be positive. Got " + interval + ".");
        }
        this.registry = Objects.requireNonNull(registry, "registry");
        this.ref = ref;
        this.listener = listener == null ? NONE : listener;
        current.set(registry.resolve(ref)); // nothing to serve yet: a failure here is the caller's
        poller = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "railyard-live-model " + ref);
            t.setDaemon(true);
            pollerThread = t;
            return t;
        });
        long nanos = interval.toNanos();
        poller.scheduleWithFixedDelay(this::poll, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    /** Resolves {@code ref} now (throwing as {@link ModelRegistry#resolve} does) and polls its pointer every {@code interval}. */
    public static LiveModel open(ModelRegistry registry, String ref, Duration interval) {
        return new LiveModel(registry, ModelRef.parse(ref), interval, null);
    }

    public static LiveModel open(ModelRegistry registry, String ref, Duration interval, Listener listener) {
        return new LiveModel(registry, ModelRef.parse(ref), interval, listener);
    }

    public static LiveModel open(ModelRegistry registry, ModelRef ref, Duration interval, Listener listener) {
        return new LiveModel(registry, Objects.requireNonNull(ref, "ref"), interval, listener);
    }

    /** Scores one row with the current bundle. */
    public Prediction score(Map<String, ?> row) {
        return current.get().bundle().score(row);
    }

    /** Scores the rows with one bundle (the current one when the call starts). */
    public List<Prediction> scoreBatch(List<? extends Map<String, ?>> rows) {
        return current.get().bundle().scoreBatch(rows);
    }

    /** The model serving now: its pointer and verified bundle. */
    public ResolvedModel current() {
        return current.get();
    }

    public ModelRef ref() {
        return ref;
    }

    /** The error of the latest poll, if it failed; empty once a poll finds the served pointer or swaps. */
    public Optional<RegistryException> lastError() {
        return Optional.ofNullable(lastError.get());
    }

    /** Reads the pointer now (as a poll does) and swaps if it changed; returns what serves afterwards. */
    public ResolvedModel refresh() {
        poll();
        return current.get();
    }

    /** Stops polling; waits for a poll in progress to end. Scoring goes on with the last model. */
    @Override
    public void close() {
        poller.shutdown(); // cancels the periodic poll; one in progress finishes
        if (Thread.currentThread() == pollerThread) {
            return; // called from a listener: the poll in progress is this call's own
        }
        try {
            poller.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void poll() {
        ResolvedModel serving = current.get();
        try {
            RegistryPointer pointer = registry.readPointer(ref);
            if (!pointer.sameEvent(serving.pointer())) {
                ResolvedModel next = registry.load(pointer); // loaded and verified before anyone sees it
                lastError.set(null);
                lastReported = null;
                current.set(next);
                tell(() -> listener.swapped(serving, next));
            } else {
                lastError.set(null);
                lastReported = null;
            }
        } catch (RegistryException e) {
            fail(e);
        } catch (RuntimeException e) {
            // An unexpected failure must not cancel the schedule (a thrown task is never run again).
            fail(new RegistryException("Reloading " + ref + " failed: " + e, e));
        }
    }

    private void fail(RegistryException e) {
        lastError.set(e);
        if (!e.getMessage().equals(lastReported)) {
            lastReported = e.getMessage();
            tell(() -> listener.failed(ref, e));
        }
    }

    private static void tell(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException ignored) {
            // a listener's failure is its own; the model keeps serving
        }
    }
}
