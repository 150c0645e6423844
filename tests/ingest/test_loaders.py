"""Loaders on small files written by the tests: text, metadata, sections, pages, hashes, dates."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from ragkit.errors import LoaderError
from ragkit.ingest.loaders import (
    BeirJsonlLoader,
    HtmlLoader,
    MarkdownLoader,
    PdfLoader,
    TextLoader,
    is_error_marker,
    load_path,
    source_for,
)
from ragkit.protocols import Loader
from ragkit.types import Document

pytestmark = pytest.mark.unit
LIMIT = 50 * 1024 * 1024


def load_one(path: Path, root: Path) -> Document:
    docs = list(load_path(path, root, LIMIT))
    assert len(docs) == 1
    return docs[0]


def test_every_loader_satisfies_the_protocol():
    for loader in (TextLoader(), MarkdownLoader(), HtmlLoader(), PdfLoader(), BeirJsonlLoader()):
        assert isinstance(loader, Loader)
        assert all(s.startswith(".") and s == s.lower() for s in loader.suffixes)


def test_text_file_source_title_hash_and_dates(tmp_path: Path):
    sub = tmp_path / "notes"
    sub.mkdir()
    path = sub / "Meeting Minutes.TXT"
    path.write_bytes(b"\xef\xbb\xbfWe met. We agreed.\n")  # BOM, upper-case suffix
    doc = load_one(path, tmp_path)
    assert doc.source == "notes/Meeting Minutes.TXT"
    assert doc.text == "We met. We agreed.\n"
    assert doc.title == "Meeting Minutes"
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc.modified.startswith(time.strftime("%Y-%m-%d", time.gmtime(path.stat().st_mtime)))
    assert doc.created == doc.modified  # no birth time on Linux: the stat-based date for both


def test_touching_a_file_keeps_its_hash(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_text("Same content.", encoding="utf-8")
    before = load_one(path, tmp_path)
    os.utime(path, (time.time() + 3600, time.time() + 3600))
    after = load_one(path, tmp_path)
    assert after.content_hash == before.content_hash
    assert after.modified != before.modified


def test_markdown_front_matter_headings_and_sections(tmp_path: Path, ingest_inputs):
    path = tmp_path / "guide.md"
    path.write_text(ingest_inputs.GUIDE_MD, encoding="utf-8")
    doc = load_one(path, tmp_path)
    assert doc.title == "Operator Guide"
    assert doc.created == "2024-03-01" and doc.modified == "2024-05-17"
    assert doc.metadata["tags"] == ["ops", "guide"]
    assert "title: Operator Guide" not in doc.text  # front matter is not text
    assert doc.text.startswith("Intro paragraph")
    labels = [s.label for s in doc.sections]
    assert labels == ["Installing", "Configuring the index", "Upgrading"]  # not the fenced "# not a heading"
    for span in doc.sections:
        assert doc.text[span.start :].lstrip("# ").startswith(span.label)
    assert doc.section_at(doc.text.index("Run the installer")) == "Installing"
    assert doc.section_at(doc.text.index("Restart afterwards")) == "Configuring the index"
    assert doc.section_at(doc.text.index("changelog")) == "Upgrading"
    assert doc.section_at(0) is None  # before the first heading
    assert doc.sections[-1].end == len(doc.text)


def test_markdown_title_falls_back_to_first_heading_then_stem(tmp_path: Path):
    (tmp_path / "h.md").write_text("Some text first.\n\n## Second level\n\n# Top level\n\nBody.", encoding="utf-8")
    (tmp_path / "plain.md").write_text("No headings here at all.", encoding="utf-8")
    assert load_one(tmp_path / "h.md", tmp_path).title == "Top level"
    assert load_one(tmp_path / "plain.md", tmp_path).title == "plain"


def test_markdown_bad_front_matter_names_the_problem(tmp_path: Path):
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: [unclosed\n---\nBody text.", encoding="utf-8")
    with pytest.raises(LoaderError) as err:
        list(load_path(path, tmp_path, LIMIT))
    assert "front matter" in err.value.reason and err.value.source == "bad.md"


def test_html_drops_scripts_and_styles_and_finds_sections(tmp_path: Path, ingest_inputs):
    path = tmp_path / "notes.html"
    path.write_text(ingest_inputs.PAGE_HTML, encoding="utf-8")
    doc = load_one(path, tmp_path)
    assert doc.title == "Release Notes"
    for hidden in ("secret", "tracking", "color: red", "Enable JavaScript", "Release Notes"):
        assert hidden not in doc.text
    assert "The new version is faster. It also uses less memory." in doc.text
    assert [s.label for s in doc.sections] == ["Version 2", "Fixes", "Known issues"]
    assert doc.section_at(doc.text.index("Fixed a leak")) == "Fixes"
    assert doc.section_at(doc.text.index("on small machines")) == "Known issues"
    # blocks are paragraphs: list items never run into each other
    assert "Fixed the crash on start.\n\nFixed a leak." in doc.text
    assert doc.created == "2023-01-02" and doc.modified == "2023-02-03T04:05:06+00:00"


def test_html_title_falls_back_to_h1(tmp_path: Path):
    path = tmp_path / "x.htm"
    path.write_text("<html><body><h1>Heading One</h1><p>Text.</p></body></html>", encoding="utf-8")
    assert load_one(path, tmp_path).title == "Heading One"


def test_pdf_pages_are_one_based_spans(tmp_path: Path, ingest_inputs):
    path = ingest_inputs.make_pdf(tmp_path / "report.pdf", ["Alpha page text.", "Beta page text.", "Gamma page text."], title="Q3 Report")
    doc = load_one(path, tmp_path)
    assert doc.title == "Q3 Report"
    assert [p.label for p in doc.pages] == [1, 2, 3]
    assert doc.page_at(doc.text.index("Alpha")) == 1
    assert doc.page_at(doc.text.index("Beta")) == 2
    assert doc.page_at(doc.text.index("Gamma")) == 3
    for span, word in zip(doc.pages, ("Alpha", "Beta", "Gamma")):
        assert doc.text[span.start : span.end].startswith(word)
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_pdf_encrypted_with_empty_user_password_opens(tmp_path: Path, ingest_inputs):
    path = ingest_inputs.make_encrypted_pdf(tmp_path / "owner-only.pdf", user_password="", pages=["Readable by anyone."])
    assert "Readable by anyone." in load_one(path, tmp_path).text


def test_jsonl_corpus_streams_documents_and_reports_bad_lines(tmp_path: Path, ingest_inputs):
    path = ingest_inputs.write_corpus(tmp_path / "corpus.jsonl")
    errors: list[LoaderError] = []
    docs = list(load_path(path, tmp_path, LIMIT, on_error=errors.append))
    assert [d.source for d in docs] == ["d1", "d2", "d3"]
    d1, d2, d3 = docs
    assert d1.title == "Aspirin and headaches"
    assert d1.text == "Aspirin and headaches\n\nAspirin relieves tension headaches. It is cheap."
    assert d2.title is None and d2.text == "Statins lower LDL cholesterol."
    record = json.loads(path.read_text().splitlines()[0])
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert d1.content_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert d3.metadata["record_metadata"] == {"year": 2020}
    assert len(errors) == 1 and errors[0].reason.startswith("line 3:") and "invalid JSON" in errors[0].reason
    assert errors[0].source == "corpus.jsonl"


def test_jsonl_without_a_sink_yields_error_markers_in_place(tmp_path: Path, ingest_inputs):
    path = ingest_inputs.write_corpus(tmp_path / "corpus.jsonl")
    docs = list(load_path(path, tmp_path, LIMIT))
    markers = [d for d in docs if is_error_marker(d)]
    assert [d.source for d in docs if not is_error_marker(d)] == ["d1", "d2", "d3"]
    assert len(markers) == 1 and markers[0].metadata["line"] == 3 and "invalid JSON" in markers[0].metadata["error"]


def test_jsonl_bad_records_of_every_kind(tmp_path: Path, ingest_inputs):
    lines = [
        {"_id": "ok", "text": "Fine."},
        {"title": "no id", "text": "x"},
        {"_id": "ok", "text": "Duplicate id."},
        {"_id": "empty", "title": "", "text": "  "},
        [1, 2, 3],
        {"_id": "n", "text": 5},
    ]
    path = ingest_inputs.write_corpus(tmp_path / "c.jsonl", lines)
    with path.open("ab") as f:
        f.write(b'{"_id": "bad-bytes", "text": "caf\xe9"}\n')
    errors: list[LoaderError] = []
    docs = list(load_path(path, tmp_path, LIMIT, on_error=errors.append))
    assert [d.source for d in docs] == ["ok"]
    reasons = [e.reason for e in errors]
    assert reasons[0].startswith("line 2:") and "_id" in reasons[0]
    assert reasons[1].startswith("line 3:") and "duplicate _id 'ok' (first at line 1)" in reasons[1]
    assert reasons[2].startswith("line 4:") and "no text" in reasons[2]
    assert reasons[3].startswith("line 5:") and "not a JSON object" in reasons[3]
    assert reasons[4].startswith("line 6:") and "strings" in reasons[4]
    assert reasons[5].startswith("line 7:") and "invalid UTF-8 at byte offset" in reasons[5]


def test_jsonl_that_is_not_a_corpus_fails_as_a_file(tmp_path: Path):
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(f"plain log line {i}" for i in range(50)), encoding="utf-8")
    with pytest.raises(LoaderError) as err:
        list(load_path(path, tmp_path, LIMIT, on_error=lambda e: None))
    assert "not a BEIR JSONL corpus" in err.value.reason


def test_jsonl_size_limit_applies_per_record(tmp_path: Path, ingest_inputs):
    lines = [{"_id": "small", "text": "Short."}, {"_id": "huge", "text": "word " * 400}]
    path = ingest_inputs.write_corpus(tmp_path / "c.jsonl", lines)
    errors: list[LoaderError] = []
    docs = list(load_path(path, tmp_path, 1000, on_error=errors.append))
    assert [d.source for d in docs] == ["small"]
    assert "line 2:" in errors[0].reason and "ingest.max_file_mb" in errors[0].reason


@pytest.mark.slow
def test_scifact_corpus_streams_fast(shared: Path):
    corpus = shared / "data" / "scifact" / "corpus.jsonl"
    if not corpus.is_file():
        pytest.skip(f"SciFact corpus not found at {corpus}")
    errors: list[LoaderError] = []
    t = time.perf_counter()
    n = sum(1 for _ in load_path(corpus, corpus.parent, LIMIT, on_error=errors.append))
    elapsed = time.perf_counter() - t
    assert n == 5183 and not errors
    print(f"loaded {n} SciFact documents in {elapsed:.2f}s")


def test_source_is_relative_with_forward_slashes(tmp_path: Path):
    assert source_for(tmp_path / "a" / "b.md", tmp_path) == "a/b.md"
    assert source_for(tmp_path / "b.md", tmp_path / "b.md") == "b.md"  # the root is the file itself
