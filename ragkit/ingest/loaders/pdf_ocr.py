"""OCR of PDF pages that have no text layer (scans), with Tesseract through pytesseract.

Needs the Tesseract program (Debian/Ubuntu: `apt-get install -y tesseract-ocr`) and the `ocr`
extra (pytesseract, and pypdfium2 to render pages). A page is OCRed only when it has no
extractable text and holds an image (a page of vector drawings has nothing to read). Each page
is rendered at OCR_DPI; its text is Tesseract's, lines kept and paragraphs separated by blank lines;
its confidence is the mean of Tesseract's word confidences (0-1) weighted by word length.
"""

from __future__ import annotations

import shutil

OCR_DPI = 300
INSTALL_HINT = (
    "install Tesseract (Debian/Ubuntu: apt-get install -y tesseract-ocr) and pip install 'ragkit[ocr]' "
    "(pytesseract, pypdfium2), then ingest again; or OCR the file first (e.g. ocrmypdf)"
)


def ocr_missing() -> str | None:
    """Why OCR cannot run here, or None when it can."""
    try:
        import pypdfium2  # noqa: F401
        import pytesseract  # noqa: F401
    except ImportError:
        return "the OCR packages are not installed"
    if shutil.which("tesseract") is None:
        return "the tesseract program is not installed"
    return None


def page_has_image(page) -> bool:
    try:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        for ref in xobjects.values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                return True
            if obj.get("/Subtype") == "/Form" and page_has_image(obj):
                return True
    except Exception:
        return False
    return False


def ocr_pages(data: bytes, numbers: list[int], lang: str = "eng") -> dict[int, tuple[str, float]]:
    """{page number (1-based): (text, confidence 0-1)} for the given pages of the PDF bytes."""
    import pypdfium2 as pdfium
    import pytesseract

    out: dict[int, tuple[str, float]] = {}
    pdf = pdfium.PdfDocument(data)
    try:
        for number in numbers:
            image = pdf[number - 1].render(scale=OCR_DPI / 72).to_pil().convert("L")
            out[number] = read_image(image, lang, pytesseract)
    finally:
        pdf.close()
    return out


def read_image(image, lang: str = "eng", pytesseract=None) -> tuple[str, float]:
    """(text, confidence) of one page image."""
    if pytesseract is None:
        import pytesseract
    d = pytesseract.image_to_data(image, lang=lang, output_type=pytesseract.Output.DICT)
    paragraphs: dict[tuple[int, int], dict[int, list[str]]] = {}
    weight = total = 0.0
    for i, word in enumerate(d["text"]):
        word = (word or "").strip()
        conf = float(d["conf"][i])
        if not word or conf < 0:
            continue
        key = (d["block_num"][i], d["par_num"][i])
        paragraphs.setdefault(key, {}).setdefault(d["line_num"][i], []).append(word)
        weight += len(word)
        total += len(word) * conf
    text = "\n\n".join("\n".join(" ".join(words) for _, words in sorted(lines.items()))
                       for _, lines in sorted(paragraphs.items()))
    return text, round(total / weight / 100, 4) if weight else 0.0
