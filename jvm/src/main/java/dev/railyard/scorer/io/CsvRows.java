package dev.railyard.scorer.io;

import dev.railyard.scorer.InputColumn;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a CSV file (header line, RFC 4180 quoting) into rows typed by the bundle's input
 * schema as pandas.read_csv reads it: an empty field is NaN (Double.NaN, in string columns
 * too, where pandas gives float('nan'), not None); number columns are parsed with
 * Double.parseDouble (correctly rounded, accepts NaN/Infinity); a field that does not
 * parse stays a string, so that scoring its row fails with WrongTypeException.
 */
public final class CsvRows {
    private CsvRows() {}

    public static List<Map<String, Object>> read(BufferedReader in, List<InputColumn> schema) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        String line = in.readLine();
        if (line == null) {
            return rows;
        }
        List<String> header = split(line);
        Map<String, InputColumn> types = new HashMap<>();
        schema.forEach(c -> types.put(c.name(), c));
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                continue;
            }
            List<String> fields = split(line);
            Map<String, Object> row = new HashMap<>();
            for (int i = 0; i < header.size() && i < fields.size(); i++) {
                InputColumn col = types.get(header.get(i));
                String f = fields.get(i);
                if (col == null) {
                    continue;
                }
                if (f.isEmpty()) {
                    row.put(col.name(), Double.NaN);
                } else if (col.isNumber()) {
                    try {
                        row.put(col.name(), Double.parseDouble(f));
                    } catch (NumberFormatException e) {
                        row.put(col.name(), f); // scoring the row raises WrongTypeException
                    }
                } else {
                    row.put(col.name(), f);
                }
            }
            rows.add(row);
        }
        return rows;
    }

    static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
