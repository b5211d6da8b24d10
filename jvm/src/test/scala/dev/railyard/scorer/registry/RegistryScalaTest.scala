package dev.railyard.scorer.registry

import com.fasterxml.jackson.databind.ObjectMapper
import dev.railyard.scorer.io.JsonLines
import org.junit.jupiter.api.Assertions.{assertEquals, assertTrue}
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path, StandardCopyOption}
import java.time.{Duration, Instant}
import scala.jdk.CollectionConverters._
import scala.util.Using

/** The registry from Scala: resolve an alias, score a row with Python's numbers, follow a flip. */
class RegistryScalaTest {
  private val vectors = Path.of(System.getProperty("railyard.vectors", "src/test/resources/vectors"))
  private val json = new ObjectMapper()

  private def copyBundle(vectorCase: String, target: Path): Path = {
    val source = vectors.resolve(vectorCase).resolve("bundle")
    Using.resource(Files.walk(source)) { files =>
      files.iterator().asScala.foreach { f =>
        val to = target.resolve(source.relativize(f).toString)
        if (Files.isDirectory(f)) Files.createDirectories(to)
        else Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING)
      }
    }
    target
  }

  /** Writes the pointer document as the Python registry does: temp file, then an atomic rename. */
  private def point(root: Path, name: String, alias: String, uri: String, eventId: Long): Unit = {
    val hash = json.readTree(root.resolve(uri).resolve("manifest.json").toFile).get("content_hash").asText
    val doc = new java.util.LinkedHashMap[String, Any]()
    doc.put("format", "railyard-registry-pointer/1")
    doc.put("name", name)
    doc.put("alias", alias)
    doc.put("version", hash.stripPrefix("sha256:"))
    doc.put("bundle_uri", uri)
    doc.put("bundle_hash", hash)
    doc.put("event_id", eventId)
    doc.put("updated_at", Instant.now.toString)
    val file = root.resolve(s"registry/$name/$alias.json")
    Files.createDirectories(file.getParent)
    val tmp = Files.createTempFile(file.getParent, s".$alias.", ".tmp")
    Files.write(tmp, json.writeValueAsString(doc).getBytes(StandardCharsets.UTF_8))
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING)
  }

  private def firstRow(vectorCase: String): java.util.Map[String, AnyRef] =
    Using.resource(Files.newBufferedReader(vectors.resolve(vectorCase).resolve("input.jsonl"))) { in =>
      JsonLines.read(in).get(0).asInstanceOf[java.util.Map[String, AnyRef]]
    }

  private def expectedFirst(vectorCase: String): Seq[Double] = {
    val line = Files.readAllLines(vectors.resolve(vectorCase).resolve("expected.jsonl")).get(0)
    json.readTree(line).get("scores_bits").elements().asScala
      .map(b => java.lang.Double.longBitsToDouble(java.lang.Long.parseUnsignedLong(b.asText, 16))).toSeq
  }

  @Test
  def resolvesScoresAndFollowsTheAlias(@TempDir root: Path): Unit = {
    copyBundle("fraud_v3_xgb_classifier", root.resolve("bundles/xgb.bundle"))
    copyBundle("fraud_v3_random_forest", root.resolve("bundles/forest.bundle"))
    point(root, "fraud_v3/global", "production", "bundles/xgb.bundle", 1)

    val registry = new ModelRegistry(root)
    val row = firstRow("fraud_v3_xgb_classifier")
    val resolved = registry.resolve("fraud_v3/global@production")
    assertEquals(expectedFirst("fraud_v3_xgb_classifier"), resolved.bundle.score(row).scores.toSeq)

    var swaps = List.empty[Long]
    val listener = new LiveModel.Listener {
      override def swapped(previous: ResolvedModel, current: ResolvedModel): Unit =
        swaps = current.pointer.eventId :: swaps
    }
    Using.resource(LiveModel.open(registry, "fraud_v3/global@production", Duration.ofHours(1), listener)) { live =>
      assertEquals(expectedFirst("fraud_v3_xgb_classifier"), live.score(row).scores.toSeq)
      point(root, "fraud_v3/global", "production", "bundles/forest.bundle", 2)
      assertEquals(2L, live.refresh().pointer.eventId)
      assertEquals(expectedFirst("fraud_v3_random_forest"), live.score(row).scores.toSeq)
      assertEquals(List(2L), swaps)
      assertTrue(live.lastError.isEmpty)
    }
  }
}
