"""Scanned-PDF fixtures: pages of known text rendered to images (PIL, reportlab's bundled Vera
font) and placed in a PDF with no text layer, as a scanner would write them. For the OCR tests
and bench/ocr.py. Needs pillow and reportlab (the `dev` extra)."""

from __future__ import annotations

import io
import os
import textwrap
from pathlib import Path


def render_page(text: str, dpi: int = 200, font_pt: float = 12.0, noise: float = 0.0, seed: int = 0):
    """A letter-size page image (grayscale PIL image) of `text`, wrapped at 70 characters a line;
    `noise` is the share of pixels flipped at random (scanner speckle)."""
    import random

    import reportlab
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf"), int(font_pt * dpi / 72))
    width, height = int(8.5 * dpi), int(11 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    y, step = dpi, int(font_pt * dpi / 72 * 1.5)
    for para in text.split("\n\n"):
        for line in textwrap.wrap(" ".join(para.split()), 70):
            draw.text((dpi, y), line, font=font, fill=0)
            y += step
        y += step
    if noise:
        rnd = random.Random(seed)
        px = image.load()
        for _ in range(int(noise * width * height)):
            x, yy = rnd.randrange(width), rnd.randrange(height)
            px[x, yy] = 255 - px[x, yy]
    return image


def make_scan_pdf(path: Path, pages: list[str], dpi: int = 200, noise: float = 0.0) -> Path:
    """A PDF whose pages are images of the given texts (no text layer)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(612, 792))
    for i, text in enumerate(pages):
        buf = io.BytesIO()
        render_page(text, dpi=dpi, noise=noise, seed=i).save(buf, format="PNG")
        buf.seek(0)
        c.drawImage(ImageReader(buf), 0, 0, width=612, height=792)
        c.showPage()
    c.save()
    return path
