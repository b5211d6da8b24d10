package dev.railyard.scorer;

/** One column of a bundle's input schema: its name and type ("number" or "string"). */
public record InputColumn(String name, String type) {
    public boolean isNumber() {
        return "number".equals(type);
    }
}
