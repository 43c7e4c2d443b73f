"""The built-in report plugin: registers the report formats and the ``report``
command through the same hooks a third-party plugin uses."""
from __future__ import annotations

from decision_core.hookspecs import hookimpl


@hookimpl
def register_output_formats(register):
    from . import fhir, formats

    register("json", "application/json", "json", formats.render_json,
             "The full result as JSON (the evaluator's contract)")
    register("markdown", "text/markdown; charset=utf-8", "md", formats.render_markdown,
             "Markdown report for a note or a chat")
    register("text", "text/plain; charset=utf-8", "txt", formats.render_text,
             "Plain-text report for a terminal or a clinical note")
    register("html", "text/html; charset=utf-8", "html", formats.render_html,
             "Self-contained, print-ready patient handout and practitioner summary")
    register("pdf", "application/pdf", "pdf", formats.render_pdf,
             "The HTML handout as a PDF (A4, or paper='letter')", binary=True)
    register("fhir", "application/fhir+json", "json", fhir.render_fhir,
             "FHIR R4 Bundle: GuidanceResponse, RequestGroup and a DetectedIssue per red flag")


@hookimpl
def register_commands(register):
    from .command import report

    register(report)
