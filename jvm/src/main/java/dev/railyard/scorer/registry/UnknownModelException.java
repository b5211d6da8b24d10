package dev.railyard.scorer.registry;

import java.util.List;

/** No pointer exists for the asked name or alias; the message and {@link #known()} say what does exist. */
public class UnknownModelException extends RegistryException {
    private final transient List<String> known;

    public UnknownModelException(String message, List<String> known) {
        super(message);
        this.known = List.copyOf(known);
    }

    /** The registered names (unknown name) or that name's aliases (unknown alias), sorted. */
    public List<String> known() {
        return known;
    }
}
