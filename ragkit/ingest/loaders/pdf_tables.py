"""Tables in PDF pages as Markdown tables, with pdfplumber (the `pdf-tables` extra).

pypdf's text runs a ruled table into interleaved words ("Port Use 6333 HTTP ..."). Where
pdfplumber is installed, a page whose content stream draws lines or rectangles (a ruled table
needs them; a text-only page is never parsed twice) is searched for tables; on a page that has
some, the page's text is rebuilt from pdfplumber's words in reading order, each table replaced by
its rows as `| cell | cell |` lines (cut into row groups under the header when long), and the text
around the tables laid out by the same font rules as the rest of the PDF (pdf_layout.py).
Without pdfplumber, pages keep pypdf's text.
"""

from __future__ import annotations

import io
import re

from ragkit.ingest.loaders.office import table_groups
from ragkit.ingest.loaders.pdf_layout import PageRuns, structured_text

_DRAWS = re.compile(rb"(?:^|\s)(?:re|l|m)\s+(?:[^\n]*\s)?(?:S|s|f|F|B|b)\b")
LINE_TOLERANCE = 3.0  # points: words whose tops differ by less are on one line


def available() -> bool:
    try:
        import pdfplumber  # noqa: F401
    except ImportError:
        return False
    return True


def may_have_table(page) -> bool:
    """True when the page's content stream strokes or fills paths (cheap; no layout analysis)."""
    try:
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
    except Exception:
        return False
    return bool(data) and (b" re" in data or b" l\n" in data or b" l " in data) and bool(_DRAWS.search(data))


def _lines(words: list[dict]) -> PageRuns:
    """Words as lines of text (by their tops), each character with its (font, size)."""
    rows: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if rows and abs(rows[-1][0]["top"] - w["top"]) < LINE_TOLERANCE:
            rows[-1].append(w)
        else:
            rows.append([w])
    text_parts: list[str] = []
    fonts: list[tuple[str, float]] = []
    for i, row in enumerate(rows):
        row.sort(key=lambda w: w["x0"])
        if i:
            text_parts.append("\n")
            fonts.append(fonts[-1] if fonts else ("", 0.0))
        for j, w in enumerate(row):
            font = (str(w.get("fontname", "")), float(w.get("size", 0.0)))
            if j:
                text_parts.append(" ")
                fonts.append(font)
            text_parts.append(w["text"])
            fonts.extend([font] * len(w["text"]))
    return PageRuns("".join(text_parts), fonts, True)


def tables_pages(data: bytes, numbers: list[int], body: float) -> dict[int, tuple[str, list[tuple[int, str]], int]]:
    """{page number: (text with its tables as Markdown, [(offset, heading)], tables found)} for the
    given pages that hold at least one table."""
    import pdfplumber

    out: dict[int, tuple[str, list[tuple[int, str]], int]] = {}
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number in numbers:
            page = pdf.pages[number - 1]
            found = [t for t in page.find_tables() if len(t.rows) >= 2]
            if not found:
                continue
            boxes = sorted((t.bbox for t in found), key=lambda b: b[1])
            tables = {t.bbox: t.extract() for t in found}
            words = page.extract_words(extra_attrs=["fontname", "size"])

            def inside(w, box) -> bool:
                cx, cy = (w["x0"] + w["x1"]) / 2, (w["top"] + w["bottom"]) / 2
                return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]

            free = [w for w in words if not any(inside(w, b) for b in boxes)]
            segments: list[tuple[str, object]] = []
            last = float("-inf")
            for box in boxes:
                segments.append(("text", [w for w in free if last <= w["top"] < box[1]]))
                segments.append(("table", tables[box]))
                last = box[3]
            segments.append(("text", [w for w in free if w["top"] >= last]))
            parts: list[str] = []
            headings: list[tuple[int, str]] = []
            at = 0
            for kind, value in segments:
                if kind == "text":
                    if not value:
                        continue
                    text, heads = structured_text(_lines(value), body)
                else:
                    text, heads = "\n\n".join(table_groups(value)), []
                if not text:
                    continue
                if parts:
                    at += 2
                headings += [(at + off, label) for off, label in heads]
                parts.append(text)
                at += len(text)
            out[number] = ("\n\n".join(parts), headings, len(found))
    return out
