package dev.railyard.scorer.registry;

import java.util.regex.Pattern;

/**
 * A registered model's name and one of its aliases, written {@code NAME@ALIAS}
 * ({@code fraud_v3/global@production}). A name is slash-separated segments, each matching
 * {@code [A-Za-z0-9][A-Za-z0-9_.=-]{0,99}} and never {@code .} or {@code ..}, at most 200
 * characters in all; an alias is one such segment. Both are checked before any path is built
 * from them.
 */
public record ModelRef(String name, String alias) {
    /** One segment of a name, and an alias. */
    static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.=-]{0,99}");
    static final int MAX_NAME_LENGTH = 200;

    public ModelRef {
        checkName(name);
        checkAlias(alias);
    }

    /** Parses {@code NAME@ALIAS}; throws {@link InvalidModelRefException} naming what is wrong. */
    public static ModelRef parse(String ref) {
        if (ref == null) {
            throw new InvalidModelRefException("A model reference must be NAME@ALIAS (e.g. fraud_v3/global@production). Got null.");
        }
        int at = ref.indexOf('@');
        if (at < 0 || at != ref.lastIndexOf('@')) {
            throw new InvalidModelRefException("A model reference must be NAME@ALIAS with exactly one '@'"
                    + " (e.g. fraud_v3/global@production). Got " + quote(ref) + ".");
        }
        return new ModelRef(ref.substring(0, at), ref.substring(at + 1));
    }

    public static boolean isValidName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            return false;
        }
        for (String segment : name.split("/", -1)) {
            if (!isValidSegment(segment)) {
                return false;
            }
        }
        return true;
    }

    public static boolean isValidAlias(String alias) {
        return alias != null && isValidSegment(alias);
    }

    private static boolean isValidSegment(String segment) {
        return SEGMENT.matcher(segment).matches() && !segment.equals(".") && !segment.equals("..");
    }

    static void checkName(String name) {
        if (!isValidName(name)) {
            throw new InvalidModelRefException("A registered model name must be '/'-separated segments matching "
                    + SEGMENT.pattern() + " (not '.' or '..'), at most " + MAX_NAME_LENGTH + " characters. Got "
                    + quote(name) + ".");
        }
    }

    static void checkAlias(String alias) {
        if (!isValidAlias(alias)) {
            throw new InvalidModelRefException("A model alias must match " + SEGMENT.pattern()
                    + " (e.g. production, candidate). Got " + quote(alias) + ".");
        }
    }

    /** A value for a message: quoted, control and non-ASCII characters escaped, long values cut. */
    static String quote(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("'");
        int limit = Math.min(value.length(), 240);
        for (int i = 0; i < limit; i++) {
            char c = value.charAt(i);
            if (c == '\'' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (value.length() > limit) {
            out.append("...(").append(value.length()).append(" chars)");
        }
        return out.append('\'').toString();
    }

    @Override
    public String toString() {
        return name + "@" + alias;
    }
}
