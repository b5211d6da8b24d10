package dev.railyard.scorer.registry;

/** A model reference ({@code NAME@ALIAS}) or one of its parts breaks the registry's naming rule. */
public class InvalidModelRefException extends RegistryException {
    public InvalidModelRefException(String message) {
        super(message);
    }
}
