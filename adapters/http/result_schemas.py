"""The schema of a result (``Result.to_dict()``, the core's public contract), generated from the
result classes themselves (:mod:`decision_core.result.schema`): responses are checked against it
in the tests, and the OpenAPI document shows it. Nothing is written here: a new result field is a
dataclass field, and appears in the schema by itself."""
from __future__ import annotations

from decision_core.result.model import Result
from decision_core.result.schema import result_schemas

SCHEMAS = result_schemas(Result)  # by name: ResultSchema, TriageSchema, CauseSchema, ...
globals().update(SCHEMAS)
ResultSchema = SCHEMAS["ResultSchema"]
