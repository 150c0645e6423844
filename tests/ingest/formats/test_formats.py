"""DOCX, PPTX, XLSX/CSV, e-mail and EPUB: round trips on files the libraries write here, chunk
metadata and offsets, and bad files (truncated zip, password-protected, wrong extension, huge sheet)."""

from __future__ import annotations

import re
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ragkit.errors import LoaderError
from ragkit.ingest.chunking.document import to_chunks
from ragkit.ingest.loaders import load_path
from ragkit.ingest.loaders.office import OLE_MAGIC, table_groups
from ragkit.ingest.loaders.sheets import XlsxLoader
from ragkit.text.sentences import sentences
from ragkit.types import TextPiece

pytestmark = pytest.mark.unit
docx = pytest.importorskip("docx")
pptx = pytest.importorskip("pptx")
openpyxl = pytest.importorskip("openpyxl")


def load(path: Path):
    return list(load_path(path, path.parent, 1 << 24))


def whole_chunks(doc):
    """One chunk per paragraph block: offsets, pages and sections as the pipeline attaches them."""
    pieces, at = [], 0
    for block in doc.text.split("\n\n"):
        start = doc.text.index(block, at)
        pieces.append(TextPiece(start, start + len(block), block))
        at = start + len(block)
    return to_chunks(doc, pieces)


def make_docx(path: Path) -> Path:
    d = docx.Document()
    d.core_properties.title, d.core_properties.author = "Runbook", "Ops Team"
    d.add_heading("Restarting the index", level=1)
    d.add_paragraph("Stop the server first. Then restart it.")
    table = d.add_table(rows=3, cols=2)
    for i, row in enumerate([("Port", "Use"), ("6333", "HTTP"), ("6334", "gRPC")]):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
    d.add_heading("Backups", level=2)
    p = d.add_paragraph("Back up nightly.")
    # a tracked deletion: w:del around a run holds w:delText, never text
    from docx.oxml import parse_xml
    p._p.append(parse_xml('<w:del xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:id="1" '
                          'w:author="x"><w:r><w:delText> DELETED WORDS</w:delText></w:r></w:del>'))
    d.save(path)
    return path


def test_docx_headings_tables_properties_and_no_deletions(tmp_path):
    [doc] = load(make_docx(tmp_path / "runbook.docx"))
    assert doc.title == "Runbook" and doc.metadata["author"] == "Ops Team"
    assert "| Port | Use |\n| 6333 | HTTP |\n| 6334 | gRPC |" in doc.text
    assert "DELETED" not in doc.text
    assert [s.label for s in doc.sections] == ["Restarting the index", "Backups"]
    table = next(s for s in sentences(doc.text) if s.text.startswith("| Port"))
    assert table.kind == "table"
    for c in whole_chunks(doc):
        assert doc.text[c.start:c.end] == c.text and c.section
    assert doc.section_at(doc.text.index("Back up")) == "Backups"


def test_pptx_slides_are_pages_with_titles_and_optional_notes(tmp_path):
    from pptx.util import Inches

    deck = pptx.Presentation()
    for n in range(3):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"Slide title {n + 1}"
        slide.placeholders[1].text_frame.text = f"Body of slide {n + 1}."
        slide.notes_slide.notes_text_frame.text = f"Speaker note {n + 1}."
    table = deck.slides[2].shapes.add_table(2, 2, Inches(1), Inches(5), Inches(4), Inches(1)).table
    for (i, j), v in {(0, 0): "k", (0, 1): "v", (1, 0): "p50", (1, 1): "14 ms"}.items():
        table.cell(i, j).text = v
    deck.save(tmp_path / "deck.pptx")
    [doc] = load(tmp_path / "deck.pptx")
    assert doc.metadata["page_label"] == "slide" and doc.metadata["slide_count"] == 3
    assert [p.label for p in doc.pages] == [1, 2, 3]
    assert "Speaker note" not in doc.text and "| p50 | 14 ms |" in doc.text
    for c in whole_chunks(doc):
        m = re.search(r"(?:title|slide) (\d)", c.text)
        n = int(m.group(1)) if m else 3  # the table is on slide 3
        assert c.page == n and c.section == f"Slide title {n}" and c.metadata["page_label"] == "slide"
    from ragkit.ingest.loaders import PptxLoader

    [with_notes] = PptxLoader(notes=True).load(tmp_path / "deck.pptx", "deck.pptx")
    assert with_notes.page_at(with_notes.text.index("Speaker note 2.")) == 2


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
                         .filter(lambda t: not t.startswith("=")),  # "=..." is a formula: no cached value
                         min_size=2, max_size=2), min_size=1, max_size=60))
def test_xlsx_round_trip_groups_repeat_the_header(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("x")
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Data"
    ws.append(["name", "value"])
    for r in rows:
        ws.append(r)
    book.save(tmp / "t.xlsx")
    [doc] = load(tmp / "t.xlsx")
    groups = doc.text.split("\n\n")
    assert all(g.startswith("| name | value |") for g in groups)
    assert all(len(g) <= 450 or g.count("\n") == 1 for g in groups)
    body = [line for g in groups for line in g.split("\n")[1:]]
    expected = table_groups([["name", "value"], *rows], 10**9)[0].split("\n")[1:]
    assert body == expected  # every non-empty row once, in order
    assert doc.sections[0].label == "Data"


def test_xlsx_sheets_are_sections_and_formulas_read_cached_values(tmp_path):
    xlsxwriter = pytest.importorskip("xlsxwriter")
    book = xlsxwriter.Workbook(str(tmp_path / "f.xlsx"))
    a = book.add_worksheet("Prices")
    a.write_row(0, 0, ["item", "usd"])
    a.write_row(1, 0, ["disk", 40])
    a.write_formula(2, 1, "=B2*2", None, 80)
    b = book.add_worksheet("Team")
    b.write_row(0, 0, ["name"])
    b.write_row(1, 0, ["Ann"])
    book.close()
    [doc] = load(tmp_path / "f.xlsx")
    assert [s.label for s in doc.sections] == ["Prices", "Team"]
    assert "|  | 80 |" in doc.text and "=B2" not in doc.text
    assert doc.section_at(doc.text.index("Ann")) == "Team"


def test_csv_sniffs_the_delimiter(tmp_path):
    (tmp_path / "people.csv").write_text("name;age\nann;3\nbob;4\n", encoding="utf-8")
    [doc] = load(tmp_path / "people.csv")
    assert doc.text == "| name | age |\n| ann | 3 |\n| bob | 4 |" and doc.sections[0].label == "people"


def test_huge_sheet_is_refused_with_sheet_and_size(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Big"
    for i in range(120):
        ws.append([i, i + 1, i + 2])
    book.save(tmp_path / "big.xlsx")
    with pytest.raises(LoaderError) as err:
        list(XlsxLoader(max_cells=300).load(tmp_path / "big.xlsx", "big.xlsx"))
    assert err.value.source == "big.xlsx" and "'Big'" in err.value.reason and "300" in err.value.reason


def make_eml(path: Path, attach: list[tuple[str, bytes]]) -> Path:
    m = EmailMessage()
    m["Subject"], m["From"], m["To"] = "Quarterly numbers", "Ann <ann@example.com>", "bob@example.com, Cy <cy@example.com>"
    m["Date"] = "Tue, 01 Dec 2026 10:00:00 +0000"
    m.set_content("Revenue grew. See the sheet attached.")
    for name, data in attach:
        m.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    path.write_bytes(bytes(m))
    return path


def test_eml_headers_metadata_and_attachments_as_documents(tmp_path):
    make_docx(tmp_path / "r.docx")
    path = make_eml(tmp_path / "mail.eml", [("numbers.csv", b"k,v\na,1\n"), ("r.docx", (tmp_path / "r.docx").read_bytes()),
                                            ("broken.docx", b"PK\x03\x04 truncated"), ("photo.jpg", b"\xff\xd8")])
    docs = load(path)
    msg = docs[0]
    assert msg.source == "mail.eml" and msg.title == "Quarterly numbers" and msg.created == "2026-12-01T10:00:00+00:00"
    assert msg.metadata["email_from"] == "Ann <ann@example.com>"
    assert msg.metadata["email_to"] == ["bob@example.com", "Cy <cy@example.com>"]
    assert msg.text.startswith("Quarterly numbers\n\nRevenue grew.") and msg.sections[0].label == "Quarterly numbers"
    assert [d.source for d in docs[1:]] == ["mail.eml#numbers.csv", "mail.eml#r.docx"]
    assert all(d.metadata["attachment_of"] == "mail.eml" for d in docs[1:])
    assert docs[1].created == msg.created  # an attachment without dates of its own is dated by its message
    assert any("broken.docx" in e and "truncated" in e for e in msg.metadata["attachment_errors"])


def test_epub_chapters_are_sections(tmp_path):
    pytest.importorskip("ebooklib")
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("id1")
    book.set_title("The Book")
    book.add_author("Jo Writer")
    c1 = epub.EpubHtml(title="Beginnings", file_name="c1.xhtml", content="<html><body><p>It starts here.</p></body></html>")
    c2 = epub.EpubHtml(title="Two", file_name="c2.xhtml", content="<html><body><h1>Chapter Two</h1><p>The end.</p></body></html>")
    for c in (c1, c2):
        book.add_item(c)
    book.toc, book.spine = [c1, c2], [c1, c2]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    epub.write_epub(str(tmp_path / "b.epub"), book)
    [doc] = load(tmp_path / "b.epub")
    assert doc.title == "The Book" and doc.metadata["author"] == "Jo Writer"
    assert [s.label for s in doc.sections] == ["Beginnings", "Chapter Two"]
    assert doc.section_at(doc.text.index("The end.")) == "Chapter Two"


@pytest.mark.parametrize("name,required", [("x.docx", "word/document.xml"), ("x.pptx", "ppt/presentation.xml"),
                                           ("x.xlsx", "xl/workbook.xml"), ("x.epub", "META-INF/container.xml")])
def test_bad_office_files(tmp_path, name, required):
    path = tmp_path / name

    def reason(data: bytes) -> str:
        path.write_bytes(data)
        with pytest.raises(LoaderError) as err:
            load(path)
        assert err.value.source == name
        return err.value.reason.lower()

    with zipfile.ZipFile(tmp_path / "ok.zip", "w") as z:
        z.writestr(required, "<x/>" * 2000)
    full = (tmp_path / "ok.zip").read_bytes()
    assert "truncated" in reason(full[: len(full) // 2])
    assert "password-protected" in reason(OLE_MAGIC + b"\x00" * 64 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64)
    assert "legacy binary office" in reason(OLE_MAGIC + b"\x00" * 200)
    assert "wrong file extension" in reason(b"just some text, not a zip at all")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("other.xml", "<x/>")
    assert "no " + required.lower() in reason(path.read_bytes())


def test_bad_mail_files(tmp_path):
    (tmp_path / "a.eml").write_text("hello, this is not a mail\n", encoding="utf-8")
    with pytest.raises(LoaderError, match="not an e-mail message"):
        load(tmp_path / "a.eml")
    (tmp_path / "a.msg").write_bytes(b"From: x\n\nplain text named .msg")
    with pytest.raises(LoaderError, match="not an Outlook .msg"):
        load(tmp_path / "a.msg")


def test_a_missing_parser_names_its_extra(tmp_path, monkeypatch):
    make_docx(tmp_path / "r.docx")
    monkeypatch.setitem(__import__("sys").modules, "docx", None)  # import docx now raises ImportError
    with pytest.raises(LoaderError, match=r"pip install 'ragkit\[office\]'"):
        load(tmp_path / "r.docx")


def test_import_ragkit_loads_no_office_parser():
    import subprocess
    import sys

    code = "import ragkit, ragkit.ingest.loaders, sys; print(sorted(m for m in ('docx','pptx','openpyxl','ebooklib','extract_msg','pytesseract','pypdfium2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_a_really_encrypted_docx_and_xlsx_are_password_protected(tmp_path):
    import io

    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")  # msoffcrypto-tool comes with extract-msg
    book = openpyxl.Workbook()
    book.active.append(["secret", 1])
    book.save(tmp_path / "plain.xlsx")
    make_docx(tmp_path / "plain.docx")
    for suffix in ("docx", "xlsx"):
        out = io.BytesIO()
        with open(tmp_path / f"plain.{suffix}", "rb") as f:
            ooxml.OOXMLFile(f).encrypt("s3cret", out)
        (tmp_path / f"locked.{suffix}").write_bytes(out.getvalue())
        with pytest.raises(LoaderError) as err:
            load(tmp_path / f"locked.{suffix}")
        assert err.value.source == f"locked.{suffix}" and "password-protected" in err.value.reason
