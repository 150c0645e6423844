"""PDF table extraction on PDFs reportlab writes with ruled tables of known cells.

    .venv/bin/python bench/pdf_tables.py [--pdfs 20]

For each PDF (1-3 tables of 2-12 rows x 2-6 columns, random words and numbers), the PDF loader's
text is searched for each known row as a Markdown row (`| a | b |`) and each table as a whole
(header and rows, in order, contiguous or in header-repeating groups). Printed for the loader with
pdfplumber tables on and off: tables whole, rows found, cells found (a cell counts when its row is
found), and load seconds per PDF.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ragkit.ingest.loaders.office import table_groups, table_row  # noqa: E402
from ragkit.ingest.loaders.pdf import PdfLoader  # noqa: E402
from ragkit.testing.table_pdfs import make_table_pdf, random_table  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pdfs", type=int, default=20)
    args = ap.parse_args()
    rnd = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        for i in range(args.pdfs):
            tables = [random_table(rnd, rnd.randint(2, 12), rnd.randint(2, 6)) for _ in range(rnd.randint(1, 3))]
            cases.append((make_table_pdf(Path(tmp) / f"{i}.pdf", tables), tables))
        n_tables = sum(len(t) for _, t in cases)
        n_rows = sum(len(r) for _, t in cases for r in t)
        n_cells = sum(len(row) for _, t in cases for r in t for row in r)
        print(f"{len(cases)} PDFs, {n_tables} tables, {n_rows} rows, {n_cells} cells")
        print(f"{'loader':<16} {'tables whole':>13} {'rows':>8} {'cells':>8} {'s/PDF':>7}")
        for label, loader in (("pdfplumber", PdfLoader(tables=True)), ("pypdf text", PdfLoader(tables=False))):
            whole = rows = cells = 0
            t = time.perf_counter()
            texts = [loader.load(path, path.name)[0].text for path, _ in cases]
            secs = (time.perf_counter() - t) / len(cases)
            for text, (_, tables) in zip(texts, cases):
                lines = set(text.split("\n"))
                for table in tables:
                    whole += all(g in text for g in table_groups(table))
                    for r in table:
                        if table_row(r) in lines:
                            rows += 1
                            cells += len(r)
            print(f"{label:<16} {whole:>6}/{n_tables:<6} {rows / n_rows:>8.3f} {cells / n_cells:>8.3f} {secs:>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
