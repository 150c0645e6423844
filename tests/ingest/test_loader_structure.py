"""Each loader leaves structure where the sentence splitter finds it: an HTML <pre> is a fenced
block and a table row a "| cell |" line, a BEIR title a line over its body, Markdown front
matter out of the text; headings keep labelling their chunks' sections."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.ingest.chunking import build_chunker
from ragkit.ingest.chunking.document import chunk_document
from ragkit.ingest.loaders.html import HtmlLoader
from ragkit.ingest.loaders.jsonl import BeirJsonlLoader
from ragkit.ingest.loaders.markdown import MarkdownLoader
from ragkit.text.sentences import sentences

pytestmark = pytest.mark.unit


def kinds(text: str) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in sentences(text)]


def test_html_pre_is_code_and_rows_are_table(tmp_path: Path):
    path = tmp_path / "a.html"
    path.write_text("<html><head><title>T</title></head><body><h2>Fusion</h2><p>The constant is 60. It is k.</p>"
                    "<pre>rrf_k: 60. # the default\nfusion: dbsf</pre>"
                    "<table><tr><th>key</th><th>default</th></tr><tr><td>rrf_k</td><td>60. Yes</td></tr></table>"
                    "<h4>A small heading</h4><p>Body text.</p></body></html>", encoding="utf-8")
    [doc] = HtmlLoader().load(path, "a.html")
    assert kinds(doc.text) == [
        ("heading", "Fusion"), ("text", "The constant is 60."), ("text", "It is k."),
        ("code", "```\nrrf_k: 60. # the default\nfusion: dbsf\n```"),
        ("table", "| key | default |"), ("table", "| rrf_k | 60. Yes |"),
        ("heading", "A small heading"), ("text", "Body text."),
    ]
    assert [s.label for s in doc.sections] == ["Fusion"]


def test_beir_title_is_a_heading_line_and_the_chunk_title(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"_id": "1", "title": "Safe Haven (film)", "text": "It is a 2013 film. It was a hit."}) + "\n")
    [doc] = BeirJsonlLoader().load(path, "c.jsonl")
    assert kinds(doc.text) == [("heading", "Safe Haven (film)"), ("text", "It is a 2013 film."), ("text", "It was a hit.")]
    [chunk] = chunk_document(doc, build_chunker())
    assert chunk.title == "Safe Haven (film)" and chunk.text == doc.text


def test_markdown_headings_stay_out_of_sentences_and_label_sections(tmp_path: Path):
    path = tmp_path / "g.md"
    path.write_text("---\ntitle: Guide\ndate: 2026-01-01\n---\n# Guide\nIntro text.\n## Scaling out\nPoint it at a server.\n"
                    "```yaml\nstore:\n  url: http://q:6333\n```\nDone.\n", encoding="utf-8")
    [doc] = MarkdownLoader().load(path, "g.md")
    assert "title: Guide" not in doc.text
    assert kinds(doc.text) == [("heading", "# Guide"), ("text", "Intro text."), ("heading", "## Scaling out"),
                               ("text", "Point it at a server."), ("code", "```yaml\nstore:\n  url: http://q:6333\n```"),
                               ("text", "Done.")]
    assert doc.section_at(doc.text.index("Point it")) == "Scaling out"
