"""Files people take away: QR codes, printable code slips, CSV and XLSX tables.

Every cell that reaches a spreadsheet is neutralised against formula injection
(OWASP): text starting with = + - @, tab or carriage return gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import segno
from fpdf import FPDF
from openpyxl import Workbook

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PDF_REPLACEMENTS = {"–": "-", "—": "-", "›": ">", "…": "...", "“": '"', "”": '"', "’": "'", "»": '"', "«": '"'}


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")  # Danish Excel expects semicolons
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM so Excel reads æøå


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence], sheet: str = "Servicetjek") -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    ws.append([safe_cell(h) for h in header])
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=10, border=2)
    return out.getvalue()


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=10, border=2)
    return out.getvalue()


def pdf_text(text: str) -> str:
    """Core PDF fonts are Latin-1: keep æøå, replace typographic marks, drop the rest."""
    for old, new in _PDF_REPLACEMENTS.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def code_slips_pdf(title: str, codes: Sequence[str], intro: str) -> bytes:
    """An A4 sheet of slips (3 × 8 per page) to cut out and hand out at random."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    cols, rows_per_page, w, h = 3, 8, 63, 34
    for i, code in enumerate(codes):
        if i % (cols * rows_per_page) == 0:
            pdf.add_page()
        slot = i % (cols * rows_per_page)
        x, y = 10 + (slot % cols) * w, 12 + (slot // cols) * h
        pdf.rect(x, y, w, h)
        pdf.set_xy(x + 2, y + 2)
        pdf.set_font("helvetica", "B", 9)
        pdf.multi_cell(w - 4, 4, pdf_text(title[:60]))
        pdf.set_xy(x + 2, y + 11)
        pdf.set_font("helvetica", "", 7)
        pdf.multi_cell(w - 4, 3.2, pdf_text(intro))
        pdf.set_xy(x + 2, y + 24)
        pdf.set_font("courier", "B", 16)
        pdf.cell(w - 4, 7, code, align="C")
    return bytes(pdf.output())
