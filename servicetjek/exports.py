"""Files people take away: QR codes, printable code slips, CSV and XLSX tables.

Every cell that reaches a spreadsheet is neutralised against formula injection
(OWASP): text starting with = + - @, tab or carriage return gets a leading apostrophe.
Every string that reaches a file is scrubbed of the characters `servicetjek.text` refuses
(control and non-characters), so text stored before that rule still exports: openpyxl
refuses them and the chart renderer aborts the whole process on them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import segno
from fpdf import FPDF
from openpyxl import Workbook

from servicetjek.text import markdown, scrub

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PDF_REPLACEMENTS = {"–": "-", "—": "-", "›": ">", "…": "...", "“": '"', "”": '"', "’": "'", "»": '"', "«": '"'}


def safe_cell(value):
    value = scrub(value)
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
    """Core PDF fonts are Latin-1: keep æøå, replace typographic marks, the rest become '?'."""
    text = scrub(text)
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


def agenda_markdown(title: str, when: str, place: str, facilitators: str, items, labels: dict,
                    purpose: str = "") -> str:
    """The agenda as Markdown to paste into an invitation; user text is escaped, never markup.
    `purpose` is the method's purpose line (content), which an agenda carries per the seed."""
    title, place, facilitators = markdown(title), markdown(place), markdown(facilitators)
    lines = [f"# {title}", "", f"**{labels['when']}:** {when}"]
    if purpose:
        lines.append(f"**{labels['purpose']}:** {purpose}")
    if place:
        lines.append(f"**{labels['place']}:** {place}")
    if facilitators:
        lines.append(f"**{labels['facilitators']}:** {facilitators}")
    lines += ["", f"| {labels['time']} | {labels['step']} | {labels['minutes']} |", "|---|---|---|"]
    for item in items:
        number = f"{item.number}. " if item.number else ""
        lines.append(f"| {item.start:%H:%M}–{item.end:%H:%M} | {number}{item.title} | {item.minutes} |")
    return "\n".join(lines) + "\n"


# The action plan on A4 landscape (277 mm between margins): department, theme, the method's
# six columns.
ACTION_PLAN_WIDTHS = (30, 36, 46, 38, 38, 28, 33, 28)


def _pdf_table(pdf: FPDF, header: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int]) -> None:
    """A table whose cells wrap onto more lines: nothing is cut ("Gjort perma..." was)."""
    pdf.set_font("helvetica", "", 10)
    with pdf.table(col_widths=tuple(widths), width=sum(widths), align="LEFT", text_align="LEFT", line_height=5,
                   borders_layout="HORIZONTAL_LINES", first_row_as_headings=True) as table:
        for values in (header, *rows):
            row = table.row()
            for value in values:
                row.cell(pdf_text("" if value is None else str(value)))


def simple_pdf(title: str, lines: Sequence[str], header: Sequence[str], rows: Iterable[Sequence],
               widths: Sequence[int], after: Sequence[str] = (), landscape: bool = False) -> bytes:
    """A printable document: title, intro lines, a table, closing lines."""
    pdf = FPDF(orientation="L" if landscape else "P", format="A4")
    pdf.compress = False  # one small page; plain streams keep the text searchable and testable
    pdf.add_page()
    pdf.set_font("helvetica", "B", 18)
    pdf.multi_cell(0, 10, pdf_text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 11)
    for line in lines:
        pdf.multi_cell(0, 6, pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    _pdf_table(pdf, header, rows, widths)
    pdf.ln(4)
    for line in after:
        pdf.multi_cell(0, 6, pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def meeting_ics(uid: str, title: str, start, end, place: str, description: str) -> bytes:
    """An iCalendar invitation; naive times are Copenhagen wall-clock times (the agenda's)."""
    from icalendar import Calendar, Event

    from servicetjek.clock import wall_clock
    cal = Calendar()
    cal.add("prodid", "-//Servicetjek//DA")
    cal.add("version", "2.0")
    title, place, description = scrub(title), scrub(place), scrub(description)
    event = Event()
    event.add("uid", uid)
    event.add("summary", title)
    event.add("dtstart", wall_clock(start))
    event.add("dtend", wall_clock(end))
    if place:
        event.add("location", place)
    event.add("description", description)
    cal.add_component(event)
    return cal.to_ical()


def dates_ics(events: Sequence[tuple[str, object]]) -> bytes:
    """All-day calendar entries, e.g. every check-in and decision of the trials."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Servicetjek//DA")
    cal.add("version", "2.0")
    for i, (title, day) in enumerate(events):
        event = Event()
        event.add("uid", f"{day}-{i}@servicetjek")
        event.add("summary", scrub(title))
        event.add("dtstart", day)
        cal.add_component(event)
    return cal.to_ical()


def _render(convert, spec: dict, **options):
    """Every string in the spec is scrubbed first: vl-convert panics (SIGABRT, the whole
    server process) on control characters and U+FFFE/U+FFFF anywhere in chart text.

    Vega also shortens long labels by UTF-16 units and can cut an emoji in half, which the
    renderer then refuses (ValueError): draw once more with such characters replaced.
    """
    try:
        return convert(scrub(spec), **options)
    except ValueError:
        return convert(scrub(spec, bmp_only=True), **options)


def chart_svg(spec: dict) -> bytes:
    """A Vega-Lite spec rendered to SVG, offline (vl-convert bundles Vega)."""
    import vl_convert

    return _render(vl_convert.vegalite_to_svg, spec).encode("utf-8")


def chart_png(spec: dict) -> bytes:
    import vl_convert

    return _render(vl_convert.vegalite_to_png, spec, scale=2)
