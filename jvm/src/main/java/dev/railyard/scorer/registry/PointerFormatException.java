package dev.railyard.scorer.registry;

/** A pointer document is not valid JSON, has a {@code format} this reader does not know, or a field that breaks the contract. */
public class PointerFormatException extends RegistryException {
    public PointerFormatException(String message) {
        super(message);
    }

    public PointerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
