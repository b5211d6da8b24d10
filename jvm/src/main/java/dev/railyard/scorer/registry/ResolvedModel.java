package dev.railyard.scorer.registry;

import dev.railyard.scorer.Scorer;
import java.nio.file.Path;

/**
 * A pointer and the bundle (a single model's or a composition's) it names, loaded and verified: the bundle's content hash equals
 * the pointer's {@code bundle_hash}. Immutable; {@link LiveModel} swaps whole instances.
 *
 * @param bundleDir the bundle directory (symlinks resolved, inside the artifact root)
 */
public record ResolvedModel(RegistryPointer pointer, Path bundleDir, Scorer bundle) {
    public ModelRef ref() {
        return pointer.ref();
    }
}
