"""OCR character accuracy on scanned pages rendered from known text (ragkit/testing/scans.py).

    .venv/bin/python bench/ocr.py [--pages 6]

Each page is rendered at a scan resolution (with and without speckle noise), put in a PDF with no
text layer, loaded by the PDF loader (Tesseract OCR), and its text compared with the known text:
character accuracy = 1 - edit distance / characters (whitespace collapsed). Prints one row per
setting: accuracy (mean, min), word accuracy, mean OCR confidence, seconds per page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ragkit.ingest.chunking.document import page_metadata  # noqa: E402
from ragkit.ingest.loaders import load_path  # noqa: E402
from ragkit.ingest.loaders.pdf_ocr import ocr_missing  # noqa: E402
from ragkit.testing.scans import make_scan_pdf  # noqa: E402


def known_pages(n: int) -> list[str]:
    """Paragraphs of ragkit's own docs (prose, numbers, identifiers), about 900 characters a page."""
    text = (REPO / "docs" / "guides" / "ingestion.md").read_text(encoding="utf-8")
    paras = [" ".join(p.split()) for p in text.split("\n\n")
             if len(p) > 200 and not p.lstrip().startswith(("#", "|", "```", "-"))]
    pages, i = [], 0
    while len(pages) < n and paras:
        page = []
        while sum(map(len, page)) < 900:
            page.append(paras[i % len(paras)])
            i += 1
        pages.append("\n\n".join(page))
    return pages


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=6)
    args = ap.parse_args()
    if (missing := ocr_missing()) is not None:
        print(f"OCR cannot run: {missing}")
        return 1
    pages = known_pages(args.pages)
    print(f"{len(pages)} pages, {sum(map(len, pages))} characters of known text")
    print(f"{'setting':<22} {'char acc':>9} {'min':>7} {'word acc':>9} {'conf':>6} {'s/page':>7}")
    for dpi, noise in ((300, 0.0), (200, 0.0), (150, 0.0), (200, 0.01)):
        with tempfile.TemporaryDirectory() as tmp:
            path = make_scan_pdf(Path(tmp) / "scan.pdf", pages, dpi=dpi, noise=noise)
            t = time.perf_counter()
            [doc] = list(load_path(path, Path(tmp), 1 << 28))
            secs = (time.perf_counter() - t) / len(pages)
        accs, words, confs = [], [], []
        for span, truth in zip(doc.pages, pages):
            got = " ".join(doc.text[span.start:span.end].split())
            want = " ".join(truth.split())
            accs.append(1 - edit_distance(got, want) / len(want))
            gw, ww = got.split(), want.split()
            words.append(sum(1 for w in ww if w in set(gw)) / len(ww))
            confs.append(page_metadata(doc, span.start, span.end)["ocr_confidence"])
        print(f"{f'{dpi} dpi, noise {noise:.0%}':<22} {statistics.mean(accs):>9.4f} {min(accs):>7.4f} "
              f"{statistics.mean(words):>9.4f} {statistics.mean(confs):>6.3f} {secs:>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
