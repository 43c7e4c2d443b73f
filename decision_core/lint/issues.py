"""What ``decision-core lint`` reports: issues (severity, code, message, where) and the report of a run."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from decision_core.catalogue.model import BUILTIN_ORIGIN

ERROR, WARNING = "error", "warning"
# What files linted by path (not installed through a plugin) are attributed to.
LINTED = "linted-files"


@dataclass(frozen=True)
class Issue:
    severity: str
    code: str
    message: str
    file: str | None = None
    rule: str | None = None
    field: str | None = None
    plugin: str | None = None

    def __str__(self) -> str:
        where = self.file or "(catalogue)"
        if self.plugin and self.plugin not in (BUILTIN_ORIGIN, LINTED):
            where += f" (plugin {self.plugin})"
        if self.rule:
            where += f", {self.rule if self.rule.startswith(('item ', 'fact ', 'cause ')) else 'rule ' + self.rule}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.severity} [{self.code}] {self.message}"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class LintReport:
    issues: list[Issue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)

    def to_dict(self) -> dict:
        return {"ok": self.ok(), "errors": len(self.errors), "warnings": len(self.warnings),
                "issues": [i.to_dict() for i in self.issues], "files": self.files, "stats": self.stats}

    def text(self) -> str:
        lines = [str(i) for i in self.issues]
        s = self.stats
        if s.get("rules") is not None:
            lines.append(f"{len(self.files)} files checked: {s['rulesets']} rulesets, {s['rules']} rules, "
                         f"{s['facts']} facts, {s['causes']} causes, {s['recommendations']} recommendations")
        if s.get("quotes_checked") is not None:
            lines.append(f"{s['quotes_checked']} quotes checked against the source texts in {s['source_texts']}")
        if s.get("case_shards") is not None:
            lines.append(f"durable-rules: {s['distinct_case_tests']} distinct case tests, {s['case_properties']} case "
                         f"properties: the case goes as {s['case_shards']} fact(s) (engine/shards.py)")
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines) + "\n"


def unique_sorted(issues: list[Issue]) -> list[Issue]:
    """Each issue once, by file, errors first, then by rule and code."""
    seen, out = set(), []
    for i in issues:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return sorted(out, key=lambda i: (i.file or "~", i.severity != ERROR, i.rule or "", i.code))
