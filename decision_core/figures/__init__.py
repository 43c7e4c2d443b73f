"""A picture of every exercise: its start and end position as a line figure, drawn as SVG from joint
angles (the ``figure:`` of an exercise in the rulesets), or a plugin's own SVG file.

* :mod:`.model`: what a figure is (poses, props, view); :mod:`.schema`: its ruleset format;
* :mod:`.skeleton`: joint angles -> the body's points; :mod:`.scene`: the poses placed on the floor and
  their props; :mod:`.svg`: the drawing; :mod:`.files`: a plugin's SVG file, checked.

The words (the title) come from the caller, in the reader's language; the SVG has no other text.
"""
from __future__ import annotations

from decision_core.figures.model import Figure
from decision_core.figures.svg import render

MEDIA_TYPE = "image/svg+xml"


def exercise_figure(catalogue, item_id: str, title: str) -> str | None:
    """The SVG of an exercise of ``catalogue`` titled ``title`` (its name, translated); None without a figure."""
    rec = None if catalogue is None else catalogue.recommendations.get(item_id)
    figure = getattr(rec, "figure", None)
    return None if figure is None else render(figure, title)


__all__ = ["Figure", "MEDIA_TYPE", "exercise_figure", "render"]
