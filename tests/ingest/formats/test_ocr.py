"""OCR of scanned PDF pages: skipped with the reason when Tesseract is absent, unless
RAGKIT_REQUIRE_OCR=1 (CI installs it: apt-get install -y tesseract-ocr), then they fail."""

from __future__ import annotations

import difflib
import os

import pytest

from ragkit.errors import LoaderError
from ragkit.ingest.chunking.document import to_chunks
from ragkit.ingest.loaders import load_path
from ragkit.ingest.loaders.pdf_ocr import ocr_missing
from ragkit.testing.scans import make_scan_pdf
from ragkit.types import TextPiece

pytestmark = pytest.mark.unit
MISSING = ocr_missing()
REQUIRED = os.environ.get("RAGKIT_REQUIRE_OCR") == "1"
PAGE_1 = "Qdrant listens on port 6333 for HTTP. The gRPC port is 6334.\n\nBack up the index folder every night."
PAGE_2 = "The second page is scanned too. It names the embedder all-MiniLM-L6-v2."


@pytest.fixture
def need_ocr():
    if MISSING is not None:
        if REQUIRED:
            pytest.fail(f"RAGKIT_REQUIRE_OCR=1 but OCR cannot run: {MISSING} (apt-get install -y tesseract-ocr; pip install 'ragkit[ocr]')")
        pytest.skip(f"OCR cannot run: {MISSING} (apt-get install -y tesseract-ocr; pip install 'ragkit[ocr]')")


def test_scanned_pages_are_ocred_and_marked(tmp_path, need_ocr):
    path = make_scan_pdf(tmp_path / "scan.pdf", [PAGE_1, PAGE_2])
    [doc] = list(load_path(path, tmp_path, 1 << 24))
    assert [p.label for p in doc.pages] == [1, 2]
    page1 = doc.text[doc.pages[0].start:doc.pages[0].end]
    ratio = difflib.SequenceMatcher(None, " ".join(page1.split()), " ".join(PAGE_1.split())).ratio()
    assert ratio > 0.95, page1
    chunks = to_chunks(doc, [TextPiece(p.start, p.end, doc.text[p.start:p.end]) for p in doc.pages])
    assert all(c.metadata["ocr"] is True and 0.5 < c.metadata["ocr_confidence"] <= 1 for c in chunks)
    assert [c.page for c in chunks] == [1, 2] and "page_metadata" not in chunks[0].metadata


def test_text_pages_beside_a_scan_are_not_marked(tmp_path, need_ocr, ingest_inputs):
    from pypdf import PdfReader, PdfWriter

    text_pdf = ingest_inputs.make_pdf(tmp_path / "t.pdf", ["A page with a real text layer."])
    scan = make_scan_pdf(tmp_path / "s.pdf", [PAGE_2])
    writer = PdfWriter()
    for f in (text_pdf, scan):
        for page in PdfReader(str(f)).pages:
            writer.add_page(page)
    with open(tmp_path / "mixed.pdf", "wb") as out:
        writer.write(out)
    [doc] = list(load_path(tmp_path / "mixed.pdf", tmp_path, 1 << 24))
    chunks = to_chunks(doc, [TextPiece(p.start, p.end, doc.text[p.start:p.end]) for p in doc.pages])
    assert "ocr" not in chunks[0].metadata and chunks[1].metadata["ocr"] is True


def test_without_tesseract_the_error_says_how_to_install(tmp_path, monkeypatch):
    import ragkit.ingest.loaders.pdf as pdf

    monkeypatch.setattr(pdf, "ocr_missing", lambda: "the tesseract program is not installed")
    path = make_scan_pdf(tmp_path / "scan.pdf", [PAGE_2])
    with pytest.raises(LoaderError) as err:
        list(load_path(path, tmp_path, 1 << 24))
    assert "apt-get install -y tesseract-ocr" in err.value.reason and "ragkit[ocr]" in err.value.reason
    assert err.value.source == "scan.pdf"
