package dev.railyard.scorer.registry;

import dev.railyard.scorer.Scorer;
import dev.railyard.scorer.ScorerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads the model registry that railyard-batch keeps under an artifact root: one pointer
 * document per alias at {@code <root>/registry/<name>/<alias>.json} ({@link RegistryPointer}).
 *
 * <pre>{@code
 * ModelRegistry registry = new ModelRegistry(Path.of("runs/artifacts"));
 * ResolvedModel m = registry.resolve("fraud_v3/global@production");
 * Prediction p = m.bundle().score(row);
 * }</pre>
 *
 * Thread-safe: it keeps no state beyond the root.
 */
public final class ModelRegistry {
    private static final int MAX_LISTED = 20;

    private final Path root;

    /** @param artifactRoot the artifact root directory ({@code store.artifact_root}); must exist */
    public ModelRegistry(Path artifactRoot) {
        if (!Files.isDirectory(artifactRoot)) {
            throw new RegistryException("Artifact root " + artifactRoot + " is not a directory.");
        }
        try {
            this.root = artifactRoot.toRealPath();
        } catch (IOException e) {
            throw new RegistryException("Cannot read artifact root " + artifactRoot + ": " + e.getMessage(), e);
        }
    }

    public Path root() {
        return root;
    }

    /** The registry folder, {@code <root>/registry}. */
    public Path registryDir() {
        return root.resolve("registry");
    }

    /** Where the pointer of {@code ref} lives (it may not exist). */
    public Path pointerFile(ModelRef ref) {
        return modelDir(ref.name()).resolve(ref.alias() + ".json");
    }

    private Path modelDir(String name) {
        Path dir = registryDir();
        for (String segment : name.split("/")) {
            dir = dir.resolve(segment);
        }
        return dir;
    }

    /** {@link #resolve(ModelRef)} of {@code "NAME@ALIAS"}. */
    public ResolvedModel resolve(String ref) {
        return resolve(ModelRef.parse(ref));
    }

    /**
     * Reads the pointer of {@code ref}, loads its bundle with {@link Scorer#load} (which checks
     * every document's sha256 and the content hash) and refuses a bundle whose content hash
     * differs from the pointer's {@code bundle_hash}.
     */
    public ResolvedModel resolve(ModelRef ref) {
        return load(readPointer(ref));
    }

    /** Reads and checks the pointer of {@code ref} without loading its bundle. */
    public RegistryPointer readPointer(ModelRef ref) {
        Path file = pointerFile(ref);
        byte[] data;
        try {
            Path real = file.toRealPath();
            if (!real.startsWith(root)) {
                throw new BundleOutsideRootException("Registry pointer " + file + " is a link to " + real
                        + ", outside the artifact root " + root + ".");
            }
            if (!Files.isRegularFile(real)) {
                if (Files.notExists(real)) { // removed since toRealPath found it: the alias is gone
                    throw unknown(ref);
                }
                throw new PointerFormatException("Registry pointer " + file + " is not a regular file.");
            }
            data = Files.readAllBytes(real);
        } catch (NoSuchFileException e) {
            throw unknown(ref);
        } catch (IOException e) {
            throw new PointerFormatException("Cannot read registry pointer " + file + ": " + e.getMessage(), e);
        }
        return RegistryPointer.parse(data, file, ref);
    }

    /** Loads and verifies the bundle {@code pointer} names. */
    public ResolvedModel load(RegistryPointer pointer) {
        Path dir = bundleDir(pointer);
        Scorer bundle;
        try {
            bundle = Scorer.load(dir);
        } catch (ScorerException e) {
            throw new BundleUnavailableException("Registry pointer " + pointer.describe() + ": bundle '"
                    + pointer.bundleUri() + "' cannot be loaded: " + e.getMessage(), e);
        }
        String actual = bundle.contentHash();
        if (!digest(actual).equals(digest(pointer.bundleHash()))) {
            throw new BundleHashMismatchException("Registry pointer " + pointer.describe() + " names bundle_hash "
                    + pointer.bundleHash() + " but bundle '" + pointer.bundleUri() + "' has content hash " + actual
                    + "; refusing it.", pointer.bundleHash(), actual);
        }
        return new ResolvedModel(pointer, dir, bundle);
    }

    /** "sha256:ab.." and "ab.." name the same digest. */
    private static String digest(String hash) {
        return hash.startsWith("sha256:") ? hash.substring("sha256:".length()) : hash;
    }

    /**
     * The bundle directory of {@code pointer}: {@code bundle_uri} must be relative, with forward
     * slashes and no {@code ..}, and its real path (symlinks followed) must stay inside the root.
     */
    Path bundleDir(RegistryPointer pointer) {
        String uri = pointer.bundleUri();
        String refused = null;
        if (uri.startsWith("/") || uri.indexOf('\\') >= 0 || uri.split("/", 2)[0].indexOf(':') >= 0
                || uri.indexOf('\0') >= 0) {
            refused = "must be a path relative to the artifact root with forward slashes (no leading '/', no '\\',"
                    + " no URL scheme or drive)";
        } else {
            for (String segment : uri.split("/", -1)) {
                if (segment.equals("..")) {
                    refused = "must not contain '..'";
                }
            }
        }
        if (refused != null) {
            throw new BundleOutsideRootException("Registry pointer " + pointer.describe() + ": bundle_uri "
                    + ModelRef.quote(uri) + " " + refused + ".");
        }
        Path dir = root.resolve(uri).normalize();
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            throw new BundleUnavailableException("Registry pointer " + pointer.describe() + ": bundle '" + uri
                    + "' does not exist under " + root + ".", e);
        }
        if (!real.startsWith(root)) {
            throw new BundleOutsideRootException("Registry pointer " + pointer.describe() + ": bundle_uri '" + uri
                    + "' leads to " + real + ", outside the artifact root " + root + ".");
        }
        if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new BundleUnavailableException("Registry pointer " + pointer.describe() + ": bundle '" + uri
                    + "' is not a directory.", null);
        }
        return real;
    }

    /** Every registered name: folders under {@code registry/} that hold at least one pointer, sorted. */
    public List<String> names() {
        Path dir = registryDir();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir, 64)) {
            walk.filter(Files::isDirectory).forEach(d -> {
                String name = dir.relativize(d).toString().replace(d.getFileSystem().getSeparator(), "/");
                if (ModelRef.isValidName(name) && !aliasesIn(d).isEmpty()) {
                    names.add(name);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            throw new RegistryException("Cannot list the registry " + dir + ": " + e.getMessage(), e);
        }
        names.sort(null);
        return names;
    }

    /** The aliases {@code name} has (its pointer files), sorted; empty for an unknown name. */
    public List<String> aliases(String name) {
        ModelRef.checkName(name);
        return aliasesIn(modelDir(name));
    }

    private static List<String> aliasesIn(Path dir) {
        List<String> aliases = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return aliases;
        }
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(f -> {
                String file = f.getFileName().toString();
                if (file.endsWith(".json") && Files.isRegularFile(f)) {
                    String alias = file.substring(0, file.length() - ".json".length());
                    if (ModelRef.isValidAlias(alias)) {
                        aliases.add(alias);
                    }
                }
            });
        } catch (IOException | UncheckedIOException e) {
            return aliases; // deleted while listing: no aliases
        }
        aliases.sort(null);
        return aliases;
    }

    private UnknownModelException unknown(ModelRef ref) {
        List<String> aliases = aliasesIn(modelDir(ref.name()));
        if (!aliases.isEmpty()) {
            return new UnknownModelException("Registered model " + ModelRef.quote(ref.name()) + " has no alias "
                    + ModelRef.quote(ref.alias()) + " (no " + pointerFile(ref) + "); its aliases: " + list(aliases) + ".",
                    aliases);
        }
        List<String> names = names();
        return new UnknownModelException("No registered model " + ModelRef.quote(ref.name()) + " (asked for "
                + ModelRef.quote(ref.toString()) + ") under " + registryDir() + "; registered: "
                + (names.isEmpty() ? "none" : list(names)) + ".", names);
    }

    private static String list(List<String> values) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(values.size(), MAX_LISTED); i++) {
            out.append(i > 0 ? ", " : "").append(values.get(i));
        }
        if (values.size() > MAX_LISTED) {
            out.append(", ... (").append(values.size() - MAX_LISTED).append(" more)");
        }
        return out.toString();
    }
}
