"""A stored report's id, its only credential, never reaches a log however its path is written
(issue 24 §3): redacted on the normalised path, in every logger and at every level; and the
report answers only at its canonical path (no 308 from a '//' form to it)."""
from __future__ import annotations

import logging

import pytest
from test_errors import assert_problem
from test_logs import PV, cds, everything_logged, post

from decision_core.adapters.http.logs import JsonFormatter, TextFormatter, redact

RID = "Zq3vT0b-7nK_x2Lw9YpR4sUe8HcMdJfA"  # the shape of store.new_report_id()

WRITTEN = ["/v1/reports/{id}", "/v1//reports/{id}", "/v1/reports//{id}", "//v1/reports/{id}", "/v1/./reports/{id}",
           "/v1/reports/./{id}", "/v1/x/../reports/{id}", "/v1/%72eports/{id}", "/v1/reports%2F{id}",
           "/v1/reports%252F{id}", "/V1/REPORTS/{id}", "/v1/reports/{id}?format=pdf", "/v1/reports/{id}/",
           "/v1/reports;x/{id}", "/v1/reports\\{id}"]


@pytest.mark.parametrize("written", WRITTEN)
def test_a_report_path_is_redacted_however_it_is_written(written):
    path = written.format(id=RID)
    for text in (path, f"GET {path}", f'127.0.0.1 "GET {path}" 404 0 1ms id=abc', f"Error handling request {path}"):
        assert RID not in redact(text), text
        assert "<redacted>" in redact(text)


def test_other_paths_and_words_are_kept_as_they_are():
    for text in ("GET /v1/evaluations 200", "/healthz\r\nERROR forged", "loading plugin reports (entry point x)",
                 "/v1/reports?format=pdf", "POST /v1/reports 422", "the reports of 3 plugins", "/docs#reports"):
        assert redact(text) == text


@pytest.mark.parametrize("written", ["/v1//reports/{id}", "/v1/reports//{id}", "/v1/./reports/{id}",
                                     "//v1/reports/{id}", "/v1/reports/{id}/"])
def test_the_report_answers_only_at_its_canonical_path(client, caplog, written):
    report_id = post(client, PV, cds({"red": True})).json["cards"][0]["links"][0]["url"].rsplit("/", 1)[1]
    with caplog.at_level(logging.DEBUG):
        response = client.get(written.format(id=report_id))
        assert_problem(response, 404)
        assert "Location" not in response.headers
        assert client.get(f"/v1/reports/{report_id}").status_code == 200
    assert report_id not in everything_logged(caplog)


@pytest.mark.parametrize("logger", ["gunicorn.error", "gunicorn.access", "decision_core.adapters.http", "werkzeug"])
@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO, logging.ERROR])
def test_every_logger_at_every_level_is_redacted(logger, level):
    """gunicorn's own debug line ('GET /v1//reports/<id>', its raw path) goes through the same formatters."""
    record = logging.LogRecord(logger, level, __file__, 1, "%s %s", ("GET", f"/v1//reports/{RID}?x=1"), None)
    for fmt in (JsonFormatter(), TextFormatter()):
        line = fmt.format(record)
        assert RID not in line and "/v1/reports/<redacted>" in line, line
