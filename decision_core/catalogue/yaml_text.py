"""Reading YAML text: libyaml's parser where PyYAML was built with it.

Start-up reads every ruleset file; the pure-Python parser spent most of the
time of a short ``decision-core evaluate`` there (0.25 s of 0.85 s, measured in
docs/benchmarks.md). Both loaders give the same data for safe YAML. On an error
the text is read again by the pure-Python parser, whose message quotes the
line with a caret under the mistake (libyaml's gives only the position).
"""
from __future__ import annotations

from typing import Any

import yaml

_FAST = getattr(yaml, "CSafeLoader", None)


def safe_load(text: str) -> Any:
    """``yaml.safe_load``, with libyaml's loader when it is there. Raises ``yaml.YAMLError``."""
    if _FAST is not None:
        try:
            return yaml.load(text, Loader=_FAST)  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            pass  # read again below, for the readable message
    return yaml.safe_load(text)
