"""PDF (.pdf) with pypdf: one document, its pages as 1-based page spans, its headings (larger or
bold lines) as sections and paragraphs of their own, its monospaced lines as fenced code blocks
(pdf_layout.py).

Encrypted files are opened only if the empty password works. A page with no extractable text
that holds an image (a scan) is OCRed when Tesseract is installed (pdf_ocr.py): its chunks carry
`ocr: true` and `ocr_confidence`. Without Tesseract, a PDF of scans only is refused with the
install line; a scanned page among text pages is left out. Ruled tables become Markdown tables
where pdfplumber (the `pdf-tables` extra) is installed.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Iterable

from ragkit.errors import LoaderError
from ragkit.ingest.loaders.base import PAGE_METADATA, file_dates, iso_date, read_bytes, sha256_hex, with_settings
from ragkit.ingest.loaders import pdf_tables
from ragkit.ingest.loaders.pdf_layout import body_size, read_page, structured_text
from ragkit.ingest.loaders.pdf_ocr import INSTALL_HINT, ocr_missing, ocr_pages, page_has_image
from ragkit.types import Document, Span


PLACEHOLDER_TITLES = frozenset({"untitled", "untitled document", "(anonymous)", "anonymous"})  # writers' defaults


class PdfLoader:
    suffixes = (".pdf",)

    def __init__(self, ocr_lang: str = "eng", tables: bool = True, ocr: bool = True):
        # config keys ingest.loaders.ocr_lang, pdf_tables, pdf_ocr
        self.ocr_lang = ocr_lang  # Tesseract language(s), e.g. "eng+deu"
        self.tables = tables  # ruled tables as Markdown tables where pdfplumber is installed (pdf_tables.py)
        self.ocr = ocr  # OCR scanned pages when Tesseract is installed
        changed = ([] if tables else ["pdf_tables=false"]) + ([] if ocr else ["pdf_ocr=false"]) + \
            ([f"ocr_lang={ocr_lang}"] if ocr and ocr_lang != "eng" else [])
        self.fingerprint = ";".join(changed)  # the settings that alter the text, where not the defaults

    def load(self, path: Path, source: str) -> Iterable[Document]:
        data = read_bytes(path, source)
        if b"%PDF-" not in data[:1024]:
            raise LoaderError(source, "not a PDF: no %PDF- header in the first 1024 bytes")
        reader = _open(data, source)
        parts: list[str] = []
        pages: list[Span] = []
        headings: list[tuple[int, str]] = []
        at = 0
        try:
            runs = [read_page(page) for page in reader.pages]
        except LoaderError:
            raise
        except Exception as exc:  # pypdf raises many types on malformed files
            raise LoaderError(source, f"corrupt PDF: cannot read its pages ({type(exc).__name__}: {exc})") from None
        body = body_size(runs)
        laid_out = [structured_text(page, body) for page in runs]
        drawn = [n for n, (text, _) in enumerate(laid_out, start=1)
                 if self.tables and text and pdf_tables.may_have_table(reader.pages[n - 1])]
        if drawn and pdf_tables.available():  # pdfplumber is imported only for a page that draws lines
            try:
                found = pdf_tables.tables_pages(data, drawn, body)
            except Exception:  # tables are an improvement: a page pdfplumber cannot read keeps pypdf's text
                found = {}
            for number, (text, page_headings, _count) in found.items():
                if text:
                    laid_out[number - 1] = (text, page_headings)
        blank = [n for n, (text, _) in enumerate(laid_out, start=1) if not text]
        scans = [n for n in blank if page_has_image(reader.pages[n - 1])]
        ocr: dict[int, tuple[str, float]] = {}
        if scans:
            missing = ocr_missing() if self.ocr else "off"
            if missing == "off":
                if len(blank) == len(runs):
                    raise LoaderError(source, "no text layer (scanned PDF?): no page has extractable text and OCR is "
                                              "turned off (config key ingest.loaders.pdf_ocr: false)")
            elif missing is not None:
                if len(blank) == len(runs):
                    raise LoaderError(source, f"no text layer (scanned PDF?): no page has extractable text and {missing} "
                                              f"to OCR it; {INSTALL_HINT}")
            else:
                try:
                    ocr = ocr_pages(data, scans, self.ocr_lang)
                except Exception as exc:
                    raise LoaderError(source, f"OCR of the scanned pages failed: {type(exc).__name__}: {exc}") from None
        page_meta: dict[str, dict] = {}
        for number, (text, page_headings) in enumerate(laid_out, start=1):
            if not text and number in ocr:
                text, page_headings = ocr[number][0].strip(), []
                if text:
                    page_meta[str(number)] = {"ocr": True, "ocr_confidence": ocr[number][1]}
            if not text:
                continue  # an empty page gets no span
            if parts:
                at += 2
            pages.append(Span(at, at + len(text), number))
            headings += [(at + off, label) for off, label in page_headings]
            parts.append(text)
            at += len(text)
        if not parts:
            why = "OCR found no text on its scanned pages" if scans else "its pages hold no images to OCR either"
            raise LoaderError(source, f"no text layer (scanned PDF?): no page has extractable text and {why}; "
                                      "OCR it with another tool first (e.g. ocrmypdf)")
        info = _info(reader)
        stat_created, stat_modified = file_dates(path)
        return [
            Document(
                source,
                "\n\n".join(parts),
                with_settings(sha256_hex(data), self.fingerprint),
                title=info.get("title") or path.stem,
                created=info.get("created") or stat_created,
                modified=info.get("modified") or stat_modified,
                pages=tuple(pages),
                sections=tuple(Span(off, headings[i + 1][0] if i + 1 < len(headings) else at, label)
                               for i, (off, label) in enumerate(headings)),
                metadata={"page_count": len(reader.pages), **({PAGE_METADATA: page_meta} if page_meta else {})},
            )
        ]


def _open(data: bytes, source: str):
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as exc:
        raise LoaderError(source, f"corrupt PDF: {type(exc).__name__}: {exc}") from None
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except DependencyError as exc:
            raise LoaderError(
                source,
                f"encrypted PDF: trying the empty password needs an extra package ({exc}); "
                "pip install cryptography, or decrypt the file first (qpdf --decrypt)",
            ) from None
        except Exception as exc:
            raise LoaderError(source, f"encrypted PDF that cannot be decrypted: {type(exc).__name__}: {exc}") from None
        if opened == PasswordType.NOT_DECRYPTED:
            raise LoaderError(
                source,
                "encrypted PDF: a password is needed; decrypt it first (qpdf --password=... --decrypt in.pdf out.pdf) "
                "or exclude it from the ingest paths",
            )
    return reader


def _info(reader) -> dict[str, str]:
    """Title and dates from the PDF's document information, where present and well-formed."""
    out: dict[str, str] = {}
    try:
        meta = reader.metadata
    except Exception:
        return out
    if not meta:
        return out
    for key, attr in (("title", "title"), ("created", "creation_date"), ("modified", "modification_date")):
        try:
            value = getattr(meta, attr)
        except Exception:  # malformed date strings raise in pypdf
            continue
        if key == "title":
            if isinstance(value, str) and value.strip() and value.strip().lower() not in PLACEHOLDER_TITLES:
                out["title"] = value.strip()
        elif (iso := iso_date(value)) is not None:
            out[key] = iso
    return out
