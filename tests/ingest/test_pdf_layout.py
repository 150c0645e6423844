"""PDF structure from fonts: a heading (larger or bold line) is a paragraph and a section of its
own, a monospaced listing is a fenced code block; plain pages are left as pypdf extracts them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.ingest.loaders.pdf import PdfLoader
from ragkit.text.sentences import sentences

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[2]


def _platypus_pdf(path: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, Preformatted, SimpleDocTemplate

    styles = getSampleStyleSheet()
    story = [
        Paragraph("Scaling out to a server", styles["Heading1"]),
        Paragraph("ragkit stores its index on disk by default. It is one config change: set the url.", styles["BodyText"]),
        Preformatted("store:\n  backend: qdrant\n  url: http://q:6333", styles["Code"]),
        Paragraph("The same settings can come from the environment.", styles["BodyText"]),
        PageBreak(),
        Paragraph("Operational checklist", styles["Heading2"]),
        Paragraph("Pin dependencies. Keep secrets in the environment.", styles["BodyText"]),
    ]
    SimpleDocTemplate(str(path), pagesize=A4, invariant=1).build(story)
    return path


def test_headings_are_sections_and_paragraphs_code_is_fenced(tmp_path):
    [doc] = PdfLoader().load(_platypus_pdf(tmp_path / "d.pdf"), "d.pdf")
    assert doc.text.startswith("Scaling out to a server\n\nragkit stores its index")
    assert [s.label for s in doc.sections] == ["Scaling out to a server", "Operational checklist"]
    assert [p.label for p in doc.pages] == [1, 2]
    assert doc.section_at(doc.text.index("Pin dependencies")) == "Operational checklist"
    assert doc.page_at(doc.text.index("Pin dependencies")) == 2
    kinds = [(s.kind, s.text.split("\n")[0]) for s in sentences(doc.text)]
    assert kinds[0] == ("heading", "Scaling out to a server")
    assert ("code", "```") in kinds
    code = next(s.text for s in sentences(doc.text) if s.kind == "code")
    assert "backend: qdrant" in code and code.endswith("```")
    assert ("text", "The same settings can come from the environment.") in kinds
    assert ("heading", "Operational checklist") in kinds


def test_a_page_in_one_font_is_unchanged(tmp_path, ingest_inputs):
    path = ingest_inputs.make_pdf(tmp_path / "plain.pdf", ["Alpha page text. More text.", "Beta page text."])
    [doc] = PdfLoader().load(path, "plain.pdf")
    assert doc.text == "Alpha page text. More text.\n\nBeta page text."
    assert doc.sections == ()


def test_the_bundled_deployment_notes():
    [doc] = PdfLoader().load(REPO / "docs" / "reference" / "deployment.pdf", "reference/deployment.pdf")
    assert [s.label for s in doc.sections] == ["Scaling out to a Qdrant server", "Running on a GPU host",
                                                "Operational checklist"]
    first = sentences(doc.text)[:2]
    assert (first[0].kind, first[0].text) == ("heading", "Scaling out to a Qdrant server")
    assert first[1].text.startswith("ragkit stores its index in Qdrant Edge by default")
