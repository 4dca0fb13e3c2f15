"""The action plan printed whole (issue 13): no cell is cut in the PDF."""

import re

from servicetjek import exports
from servicetjek.content import load


def pdf_words(pdf: bytes) -> str:
    """The text fpdf2 writes (uncompressed streams, one Tj string per line)."""
    return " ".join(s.decode("latin-1") for s in re.findall(rb"\((.*?)\) ?Tj", pdf))


def test_action_plan_pdf_wraps_long_cells_instead_of_cutting_them():
    content = load("da")
    header = ["Afdeling", "Tema", *content.action_plan["columns"]]
    long = "Fordybelsestid hver formiddag fra klokken otte til ti uden møder og uden chat"
    rows = [["Borgerservice og Digitalisering", "Sammenhængskraft", long, long, long, "Tina og hele teamet",
             "Efter uge 2 og uge 4: justering af tidsrummet", "Gjort permanent"]] * 3
    pdf = exports.simple_pdf("Handleplan", ["Intro"], header, rows, exports.ACTION_PLAN_WIDTHS, landscape=True)
    text = pdf_words(pdf)
    assert "..." not in text
    for cell in [*header, *rows[0]]:
        for word in cell.split():
            assert exports.pdf_text(word) in text, word
    assert sum(exports.ACTION_PLAN_WIDTHS) <= 277  # A4 landscape between 10 mm margins
