package dev.keel.examples;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The BOM (core/bom/pom.xml) has no parent, so nothing in the build keeps it in step by itself:
 * this test checks that it carries the parent's version and manages every library artifact,
 * and nothing but Keel's.
 */
class BomTest {

    private static final Path ROOT = Path.of("..");

    @Test
    void theBomManagesEveryKeelArtifactAtTheParentsVersion() throws Exception {
        Document parent = parse(ROOT.resolve("pom.xml"));
        Document bom = parse(ROOT.resolve("core/bom/pom.xml"));
        String version = child(parent.getDocumentElement(), "version");
        assertThat(child(bom.getDocumentElement(), "version")).isEqualTo(version);
        assertThat(child(bom.getDocumentElement(), "artifactId")).isEqualTo("keel-bom");
        assertThat(bom.getElementsByTagName("parent").getLength()).as("the BOM must not inherit keel-parent's managed versions").isZero();

        List<String> managed = new ArrayList<>();
        NodeList deps = bom.getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            assertThat(child(d, "groupId")).isEqualTo("dev.keel");
            assertThat(child(d, "version")).isEqualTo("${keel.version}");
            managed.add(child(d, "artifactId"));
        }
        assertThat(managed).containsExactlyInAnyOrder("keel-core", "keel-fewl", "keel-sam", "keel-safety", "keel-spark", "keel-examples");
        assertThat(child((Element) bom.getElementsByTagName("properties").item(0), "keel.version")).isEqualTo(version);
    }

    @Test
    void aMissingElementIsNamed() throws Exception {
        Document bom = parse(ROOT.resolve("core/bom/pom.xml"));
        assertThatThrownBy(() -> child(bom.getDocumentElement(), "noSuchElement"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("noSuchElement");
    }

    private static Document parse(Path pom) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    /** The text of {@code element}'s direct child {@code name}. */
    private static String child(Element element, String name) {
        for (Node n = element.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e.getTextContent().strip();
            }
        }
        throw new IllegalArgumentException("<" + element.getTagName() + "> has no <" + name + ">");
    }
}
