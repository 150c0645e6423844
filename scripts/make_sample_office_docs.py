"""Build docs/formats/: one tiny file of each office format ragkit reads, so the bundled sample
corpus (and the sample-docs eval suite) covers their loaders. Their text is documentation of those
loaders. Run after editing the text below:

    .venv/bin/python scripts/make_sample_office_docs.py

Needs the `office` extra and XlsxWriter (both in `dev`). Dates are fixed; zip timestamps are set
to the same date, so the outputs only change when this script does.
"""

from __future__ import annotations

import re
import sys
import zipfile
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "formats"
sys.path.insert(0, str(REPO))
WHEN = datetime(2026, 12, 1, 9, 0, 0)


def docx_file(path: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "Word files in ragkit"
    d.core_properties.author = "ragkit"
    d.core_properties.created = d.core_properties.modified = WHEN
    d.add_heading("Word files in ragkit", level=1)
    d.add_paragraph("The DOCX loader turns each Word heading into a section of the document. "
                    "Tracked deletions and comments are not indexed; tracked insertions are.")
    d.add_heading("Tables in Word files", level=2)
    d.add_paragraph("A Word table becomes a Markdown table, kept whole when it fits a chunk.")
    t = d.add_table(rows=3, cols=2)
    for i, row in enumerate([("Format", "Extra"), ("DOCX", "office"), ("MSG", "msg")]):
        for j, v in enumerate(row):
            t.cell(i, j).text = v
    d.save(path)


def pptx_file(path: Path) -> None:
    import pptx

    deck = pptx.Presentation()
    deck.core_properties.title = "Slide decks in ragkit"
    deck.core_properties.created = deck.core_properties.modified = WHEN
    for title, body in [("Slide decks in ragkit", "The PPTX loader reads one page per slide, so citations name the slide."),
                        ("Speaker notes", "Speaker notes are left out unless the notes option of the PPTX loader is on.")]:
        s = deck.slides.add_slide(deck.slide_layouts[1])
        s.shapes.title.text = title
        s.placeholders[1].text_frame.text = body
    deck.save(path)


def xlsx_file(path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"title": "Loader extras", "created": WHEN})
    ws = book.add_worksheet("Loader extras")
    rows = [("Suffix", "Loader", "Extra"), (".docx", "DocxLoader", "office"), (".pptx", "PptxLoader", "office"),
            (".xlsx", "XlsxLoader", "office"), (".epub", "EpubLoader", "office"), (".msg", "MsgLoader", "msg")]
    for r, row in enumerate(rows):
        ws.write_row(r, 0, row)
    book.close()


def eml_file(path: Path) -> None:
    m = EmailMessage()
    m["Subject"] = "Mail archives in ragkit"
    m["From"] = "ragkit docs <docs@ragkit.example>"
    m["To"] = "readers@ragkit.example"
    m["Date"] = "Tue, 01 Dec 2026 09:00:00 +0000"
    m["Message-ID"] = "<formats-1@ragkit.example>"
    m.set_content("The e-mail loader keeps the subject, sender, recipients and date of a message as metadata. "
                  "Each attachment in a format ragkit reads is ingested as a document of its own, linked to the message.")
    m.add_attachment("Format,Suffix\nE-mail,.eml\nOutlook,.msg\n".encode(), maintype="text", subtype="csv",
                     filename="mail-formats.csv")
    m.set_boundary("ragkit-sample-boundary")  # fixed, so the file is reproducible
    path.write_bytes(bytes(m))


def epub_file(path: Path) -> None:
    from ebooklib import epub

    b = epub.EpubBook()
    b.set_identifier("ragkit-formats")
    b.set_title("E-books in ragkit")
    b.add_author("ragkit")
    b.add_metadata("DC", "date", "2026-12-01")
    c = epub.EpubHtml(title="Chapters", file_name="chapters.xhtml",
                      content="<html><body><h1>Chapters</h1><p>The EPUB loader reads the chapters in reading order, "
                              "each chapter a section named by its heading or its table-of-contents entry.</p></body></html>")
    b.add_item(c)
    b.toc, b.spine = [c], [c]
    b.add_item(epub.EpubNcx())
    b.add_item(epub.EpubNav())
    epub.write_epub(str(path), b)


def csv_file(path: Path) -> None:
    path.write_text("Suffix,Loader,Sections\n.csv,CsvLoader,one sheet named after the file\n"
                    ".tsv,CsvLoader,one sheet named after the file\n", encoding="utf-8")


def pdf_table_file(path: Path) -> None:
    from ragkit.testing.table_pdfs import make_table_pdf

    rows = [["Format", "Pages are", "Sections are"], ["PDF", "pages", "headings"], ["PPTX", "slides", "slide titles"],
            ["XLSX", "none", "sheets"], ["EPUB", "none", "chapters"]]
    make_table_pdf(path, [rows], prose="Where pdfplumber is installed, a ruled table in a PDF becomes a Markdown table.",
                   heading="Tables in PDF files")


def fix_zip_dates(path: Path) -> None:
    """Rewrite a zip with every entry dated WHEN, in name order."""
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename.endswith(".opf"):  # ebooklib stamps dcterms:modified with the time of writing
                data = re.sub(rb'(<meta property="dcterms:modified">)[^<]*', rb"\g<1>2026-12-01T09:00:00Z", data)
            new = zipfile.ZipInfo(info.filename, date_time=WHEN.timetuple()[:6])
            new.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            z.writestr(new, data)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, build in [("word-files.docx", docx_file), ("slide-decks.pptx", pptx_file),
                        ("loader-extras.xlsx", xlsx_file), ("mail-archives.eml", eml_file), ("e-books.epub", epub_file),
                        ("loader-sections.csv", csv_file), ("pdf-tables.pdf", pdf_table_file)]:
        path = OUT / name
        build(path)
        if path.suffix in (".docx", ".pptx", ".xlsx", ".epub"):
            fix_zip_dates(path)
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
