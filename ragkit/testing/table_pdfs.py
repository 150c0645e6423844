"""PDFs with ruled tables of known cells (reportlab platypus), for the PDF table tests and
bench/pdf_tables.py. Needs reportlab (the `dev` extra)."""

from __future__ import annotations

import random
from pathlib import Path


def random_table(rnd: random.Random, rows: int, cols: int) -> list[list[str]]:
    words = "port http grpc index store cache ledger chunk model route budget token shard replica".split()
    header = [rnd.choice(words).title() + f" {c + 1}" for c in range(cols)]
    body = [[rnd.choice([rnd.choice(words), str(rnd.randint(0, 99999)), f"{rnd.random() * 100:.2f}"]) for _ in range(cols)]
            for _ in range(rows)]
    return [header, *body]


def make_table_pdf(path: Path, tables: list[list[list[str]]], prose: str = "The table below lists the values.",
                   heading: str = "Measured values") -> Path:
    """One PDF: a heading, then for each table a paragraph and the table drawn with a grid."""
    from reportlab.lib import colors
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    story = [Paragraph(heading, styles["Heading1"])]
    for rows in tables:
        table = Table(rows)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
        story += [Paragraph(prose, styles["BodyText"]), Spacer(1, 8), table, Spacer(1, 12)]
    SimpleDocTemplate(str(path), invariant=1).build(story)
    return path
