package dev.railyard.scorer.registry;

/** A pointer's {@code bundle_uri} is absolute, climbs with {@code ..}, or reaches outside the artifact root through a symlink. */
public class BundleOutsideRootException extends RegistryException {
    public BundleOutsideRootException(String message) {
        super(message);
    }
}
