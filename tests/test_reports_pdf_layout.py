"""The PDF handout as a reader gets it, for every public case: tagged for screen
readers (PDF/UA-1), no blank or nearly blank page, nothing running past the right
margin. Pages are rasterised with poppler's pdftoppm (Debian package poppler-utils,
installed by scripts/install-system-packages) and measured; the tagging is read
back with pypdf and cross-checked with poppler's pdfinfo."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
from dataclasses import dataclass

import pytest
from pypdf import PdfReader

import decision_core
from decision_core.adapters.reports import render

from decision_core.i18n.translations import get_translator
from patient_part import LANGS
from test_reports import PUBLIC, WHEN

DPI = 36  # enough to see lines of 7.5 pt text, cheap to scan (A4 is 298 x 421 px)
MM = DPI / 25.4  # pixels per millimetre
INK = 200  # a grey value below this (0 black .. 255 white) is ink, anti-aliasing included
# Every page but the last must be filled at least this far down (see test_no_page_is_blank_or_nearly_blank).
MIN_FILL = 0.6
# The right page margin is 14 mm; nothing may be drawn in the outer 12 mm (2 mm for anti-aliasing).
RIGHT_STRIP_MM = 12


@dataclass
class Page:
    width: int
    height: int
    pixels: bytes  # 8-bit grey, row by row

    def row_has_ink(self, y: int, x_from: int = 0) -> bool:
        return min(self.pixels[y * self.width + x_from:(y + 1) * self.width]) < INK

    def ink_runs(self) -> list[tuple[int, int]]:
        """(first, last) row of each vertical run of rows that have ink, top to bottom."""
        runs: list[tuple[int, int]] = []
        for y in range(self.height):
            if self.row_has_ink(y):
                if runs and runs[-1][1] == y - 1:
                    runs[-1] = (runs[-1][0], y)
                else:
                    runs.append((y, y))
        return runs

    def fill(self) -> float:
        """How far down the body of the page is used: the lowest inked row above the footer,
        over the top of the footer. The footer ('Page n of m') is on every page and is the
        lowest ink, so it is the last run; 0.0 means only the footer is on the page."""
        runs = self.ink_runs()
        if len(runs) < 2:
            return 0.0
        return runs[-2][1] / runs[-1][0]


def rasterise(pdf: bytes) -> list[Page]:
    out = subprocess.run(["pdftoppm", "-r", str(DPI), "-gray"], input=pdf, capture_output=True,
                         check=True, timeout=120).stdout
    pages, i = [], 0
    while i < len(out):  # concatenated binary PGMs: "P5 <width> <height> <maxval>" then the pixels
        fields = []
        while len(fields) < 4:
            while out[i:i + 1].isspace():
                i += 1
            j = i
            while not out[j:j + 1].isspace():
                j += 1
            fields.append(out[i:j])
            i = j
        i += 1
        assert fields[0] == b"P5" and fields[3] == b"255", fields
        width, height = int(fields[1]), int(fields[2])
        pages.append(Page(width, height, out[i:i + width * height]))
        i += width * height
    return pages


@pytest.fixture(scope="module")
def pdfs():
    """{case id (and language): PDF bytes} for every public case, in every installed language, each rendered once."""
    if not PUBLIC.is_file():
        pytest.skip(f"{PUBLIC} is absent (shared/ sits next to the repository)")
    return {case["id"] + ("" if lang == "en" else f" ({lang})"):
            render(decision_core.evaluate(case["facts"]).to_dict(), "pdf", generated_at=WHEN, lang=lang)
            for case in json.loads(PUBLIC.read_text(encoding="utf-8"))["cases"] for lang in LANGS}


@pytest.fixture(scope="module")
def poppler():
    missing = [tool for tool in ("pdftoppm", "pdfinfo") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not found: install Debian's poppler-utils "
                    "(bash scripts/install-system-packages does)")


@pytest.fixture(scope="module")
def pages(pdfs, poppler):
    return {case_id: rasterise(pdf) for case_id, pdf in pdfs.items()}


def test_every_pdf_is_tagged_pdf_ua(pdfs, poppler):
    """PDF/UA-1 as WeasyPrint writes it: marked content with a structure tree, the document
    language, a title that viewers show instead of the file name, and the PDF/UA
    identification in the XMP metadata."""
    for case_id, pdf in pdfs.items():
        reader = PdfReader(io.BytesIO(pdf))
        root = reader.trailer["/Root"]
        assert root.get("/MarkInfo", {}).get("/Marked") == True, f"{case_id}: not marked as tagged"  # noqa: E712 (pypdf BooleanObject)
        tree = root.get("/StructTreeRoot")
        assert tree is not None and tree.get_object().get("/K"), f"{case_id}: no structure tree"
        assert str(root.get("/Lang", "")).strip(), f"{case_id}: no document language"
        assert (reader.metadata.title or "").strip(), f"{case_id}: no title"
        assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True, case_id  # noqa: E712
        assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data(), f"{case_id}: no PDF/UA id"
        info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True, timeout=60).stdout
        assert b"Tagged:          yes" in info, f"{case_id}: pdfinfo says untagged"


def test_no_page_is_blank_or_nearly_blank(pages, pdfs):
    """Measured on the rasterised pages, not on extracted text, because a page can hold text
    and still be mostly white. Text flows from the top, so how far down the lowest line
    reaches says how full a page is: every page but the last is filled at least
    MIN_FILL of the way to the footer (a forced break or a block that will not split leaves
    far less), and the last page holds more than the footer and a line or two."""
    for case_id, doc in pages.items():
        texts = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdfs[case_id])).pages]
        assert len(doc) == len(texts) >= 2, case_id
        lang = case_id.rsplit("(", 1)[1].rstrip(")") if case_id.endswith(")") else "en"
        footer = get_translator(lang).gettext("Page %(page)s of %(pages)s")
        for number, (page, text) in enumerate(zip(doc, texts), start=1):
            assert footer % {"page": number, "pages": len(doc)} in text, f"{case_id} page {number}: the footer is the last ink"
        fills = [round(page.fill(), 2) for page in doc]
        for number, fill in enumerate(fills[:-1], start=1):
            assert fill >= MIN_FILL, f"{case_id}: page {number} of {len(doc)} is only {fill:.0%} full ({fills})"
        last_body = len(texts[-1]) - len(footer.format(len(doc), len(doc)))
        assert fills[-1] >= 0.15 and last_body >= 200, \
            f"{case_id}: the last page is nearly blank ({fills[-1]:.0%} full, {last_body} characters)"


def test_nothing_runs_into_the_right_margin(pages):
    """Text that cannot wrap (white-space: nowrap, long ids) runs past the content box and is
    cut at the paper's edge; the outer RIGHT_STRIP_MM of every page must stay white."""
    for case_id, doc in pages.items():
        for number, page in enumerate(doc, start=1):
            x_from = page.width - round(RIGHT_STRIP_MM * MM)
            inked = [y for y in range(page.height) if page.row_has_ink(y, x_from)]
            assert not inked, (f"{case_id} page {number}: ink in the right margin at "
                               f"{inked[0] / MM:.0f}-{inked[-1] / MM:.0f} mm from the top")


def test_the_measurements_can_fail():
    """The page measure sees a nearly empty page and ink in the margin (a guard against a
    measurement that always passes)."""
    html = ("<!doctype html><html lang='en'><head><title>t</title><style>@page { size: A4; margin: 15mm 14mm 17mm; "
            "@bottom-right { content: 'Page ' counter(page) } }</style></head><body><p>one line</p>"
            "<p style='break-before: page; white-space: nowrap'>" + "overflowing " * 40 + "</p></body></html>")
    from weasyprint import HTML

    first, second = rasterise(HTML(string=html).write_pdf())
    assert first.fill() < 0.1
    strip = first.width - round(RIGHT_STRIP_MM * MM)
    assert not any(first.row_has_ink(y, strip) for y in range(first.height))
    assert any(second.row_has_ink(y, strip) for y in range(second.height))


def test_a_note_after_a_full_line_does_not_strand_the_first_word():
    """WeasyPrint breaks a line after its first word when the text fits the line but an inline
    note after the last space does not; render_pdf moves that space into the note. Swept over
    widths, because the fault shows only where the text alone just fits."""
    from weasyprint import HTML

    from decision_core.adapters.reports.formats import _pdf_html

    text = "Your hip flexors feel tight; tight quads pull on the hip flexors, and together they rotate the hip forward."
    stranded = []
    for tenth_mm in range(1780, 1860, 5):
        html = _pdf_html(f"<html lang='en'><style>@page {{ size: 300mm 60mm }} p {{ width: {tenth_mm / 10}mm; "
                         f"font: 10pt 'DejaVu Sans' }} span {{ font-size: .8em }}</style>"
                         f"<p>{text} <span class='src'>[002, 003]</span></p></html>")
        first_line = PdfReader(io.BytesIO(HTML(string=html).write_pdf())).pages[0].extract_text().splitlines()[0]
        if len(first_line.split()) < 3:
            stranded.append(tenth_mm / 10)
    assert not stranded, f"a first word alone on its line at widths {stranded} mm"


def _png(tmp_path, name="logo.png", size=(240, 60)):
    from PIL import Image  # Pillow comes with WeasyPrint

    path = tmp_path / name
    Image.new("RGB", size, (30, 107, 52)).save(path)
    return path


def test_a_clinic_header_is_drawn_inside_the_page_and_nothing_is_fetched(tmp_path, poppler):
    """The clinic logo arrives as a data: URI and is drawn; the clinic's header line (logo,
    name, a long address, phone) wraps inside the page; a file the HTML names is not read."""
    from decision_core.adapters.reports.clinic import ClinicProfile, _logo_uri
    from decision_core.adapters.reports.formats import _no_fetch
    from weasyprint import HTML

    clinic = ClinicProfile(name="Riverside Physiotherapy", phone="0117 496 0123", emergency_number="999",
                           address="Unit 4, The Old Tannery, 12 Mill Lane, Bristol BS1 4QA",
                           logo=_logo_uri(str(_png(tmp_path)), tmp_path))
    result = decision_core.evaluate({"sitting_hours_per_day": 10}).to_dict()
    pdf = render(result, "pdf", clinic=clinic, generated_at=WHEN)
    reader = PdfReader(io.BytesIO(pdf))
    assert [image.image.size for image in reader.pages[0].images] == [(240, 60)]
    assert "Riverside Physiotherapy" in reader.pages[0].extract_text()
    page = rasterise(pdf)[0]
    strip = page.width - round(RIGHT_STRIP_MM * MM)
    assert not [y for y in range(page.height) if page.row_has_ink(y, strip)], "the clinic header runs off the page"

    on_disk = _png(tmp_path, "on-disk.png", (50, 50))
    html = f"<html lang='en'><title>t</title><p>text</p><img src='{on_disk.as_uri()}'></html>"
    pdf = HTML(string=html, url_fetcher=_no_fetch()).write_pdf()
    assert not PdfReader(io.BytesIO(pdf)).pages[0].images
