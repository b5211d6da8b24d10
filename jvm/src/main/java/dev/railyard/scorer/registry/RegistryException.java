package dev.railyard.scorer.registry;

import dev.railyard.scorer.ScorerException;

/**
 * Base of every exception the model registry throws on purpose.
 *
 * <pre>
 * RegistryException
 *  ├── InvalidModelRefException     the asked NAME@ALIAS breaks the naming rule
 *  ├── UnknownModelException        no pointer for that name or alias (names what exists)
 *  ├── PointerFormatException       the pointer is malformed JSON, of an unknown format, or has a bad field
 *  ├── BundleOutsideRootException   the pointer's bundle_uri leaves the artifact root
 *  ├── BundleUnavailableException   the bundle it names is missing or fails Bundle.load
 *  └── BundleHashMismatchException  the bundle's content hash differs from the pointer's bundle_hash
 * </pre>
 */
public class RegistryException extends ScorerException {
    public RegistryException(String message) {
        super(message);
    }

    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
