"""JSON Lines in: one case a line, each evaluated on its own, so one bad line never stops the rest."""
from __future__ import annotations

import json
from typing import Iterable, Iterator

from .result import Result


def evaluate_lines(evaluator, lines: Iterable[str]) -> Iterator[tuple[int, Result | Exception]]:
    """(line number, its result or what went wrong) for every non-blank line, in order."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, evaluator.evaluate(json.loads(line))
        except Exception as exc:  # one bad line never stops the batch
            yield number, exc
