"""The PDF renderer fetches nothing: a data: image (the clinic logo) is read from the report
itself; any other URL that reaches the HTML is refused and logged, and the report still renders
(WeasyPrint 70 crashed on the first refused fetch: AttributeError _fail_on_errors)."""
from __future__ import annotations

import base64
import io
import logging
import socket

import pytest
from pypdf import PdfReader

import decision_core
from decision_core.adapters.reports import formats, render
from decision_core.adapters.reports.clinic import load_clinic_profile

# a 1x1 PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def images(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def listener():
    """A local server that counts the connections made to it (none is the point)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.5)
    yield sock
    sock.close()


def accepted(sock) -> int:
    count = 0
    try:
        while True:
            conn, _ = sock.accept()
            conn.close()
            count += 1
    except OSError:  # timed out: nobody else is coming
        return count


@pytest.fixture(scope="module")
def result():
    return decision_core.evaluate({"sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True}).to_dict()


def test_an_injected_fetch_is_refused_logged_and_the_report_still_renders(result, listener, monkeypatch, caplog):
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    real_html = formats._html

    def injected(*args, **kwargs):
        html = real_html(*args, **kwargs)
        return html.replace("<body", f'<link rel="stylesheet" href="{url}/x.css"><body', 1).replace(
            "</body>", f'<img src="{url}/track.png"><img src="file:///etc/passwd"></body>', 1)

    monkeypatch.setattr(formats, "_html", injected)
    with caplog.at_level(logging.WARNING, logger="decision_core"):
        pdf = render(result, "pdf")
    assert pdf.startswith(b"%PDF-") and images(pdf) == 0
    assert accepted(listener) == 0, "the renderer connected to the injected URL"
    refusals = [r.getMessage() for r in caplog.records if "refused to fetch" in r.getMessage()]
    assert "report render: refused to fetch a http: URL (reports fetch nothing)" in refusals
    assert "report render: refused to fetch a file: URL (reports fetch nothing)" in refusals
    assert not any("track.png" in m or "127.0.0.1" in m for m in refusals)  # the URL itself is not logged


def test_a_data_logo_is_read_from_the_report(result, tmp_path):
    (tmp_path / "logo.png").write_bytes(PNG)
    (tmp_path / "clinic.yaml").write_text("name: Test Clinic\nlogo: logo.png\n")
    pdf = render(result, "pdf", clinic=load_clinic_profile(str(tmp_path / "clinic.yaml")))
    assert images(pdf) >= 1  # the logo (the same report without a clinic has none: above)
