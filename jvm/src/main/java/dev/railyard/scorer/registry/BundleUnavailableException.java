package dev.railyard.scorer.registry;

/** The bundle a pointer names does not exist or fails {@code Bundle.load} (damaged, unknown format version, ...). */
public class BundleUnavailableException extends RegistryException {
    public BundleUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
