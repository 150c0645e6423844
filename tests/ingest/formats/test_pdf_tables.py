"""Ruled tables in PDFs come out as Markdown tables (pdfplumber), on PDFs reportlab writes here."""

from __future__ import annotations

import random

import pytest

from ragkit.ingest.loaders import load_path
from ragkit.ingest.loaders.office import table_row
from ragkit.ingest.loaders.pdf import PdfLoader
from ragkit.testing.table_pdfs import make_table_pdf, random_table
from ragkit.text.sentences import sentences

pytestmark = pytest.mark.unit
pytest.importorskip("pdfplumber")


def test_a_ruled_table_is_a_markdown_table_between_its_prose(tmp_path):
    rows = [["Port", "Protocol", "Use"], ["6333", "HTTP", "REST API"], ["6334", "gRPC", "fast client"]]
    path = make_table_pdf(tmp_path / "t.pdf", [rows], prose="Qdrant listens on two ports. Both are open.")
    [doc] = list(load_path(path, tmp_path, 1 << 24))
    assert "\n".join(table_row(r) for r in rows) in doc.text
    assert doc.text.index("Qdrant listens") < doc.text.index("| Port")
    assert [s.label for s in doc.sections] == ["Measured values"]
    assert any(s.kind == "table" and s.text.startswith("| Port") for s in sentences(doc.text))
    plain = PdfLoader(tables=False).load(path, "t.pdf")[0].text
    assert "| Port" not in plain and "6333" in plain


def test_random_tables_round_trip(tmp_path):
    rnd = random.Random(7)
    tables = [random_table(rnd, rnd.randint(2, 6), rnd.randint(2, 4)) for _ in range(4)]
    path = make_table_pdf(tmp_path / "r.pdf", tables)
    [doc] = list(load_path(path, tmp_path, 1 << 24))
    for rows in tables:
        assert "\n".join(table_row(r) for r in rows) in doc.text


def test_a_text_only_pdf_is_not_parsed_for_tables(tmp_path, ingest_inputs, monkeypatch):
    import ragkit.ingest.loaders.pdf_tables as pdf_tables

    monkeypatch.setattr(pdf_tables, "tables_pages", lambda *a: pytest.fail("a text-only page was searched for tables"))
    path = ingest_inputs.make_pdf(tmp_path / "p.pdf", ["Just text on this page."])
    assert list(load_path(path, tmp_path, 1 << 24))[0].text == "Just text on this page."
