"""What the HTTP adapter serves: one catalogue, its evaluator, the output formats
and the plugins they came from. Built once per process, before serving."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterable

from decision_core.installation import DecisionCore, default_core
from decision_core.catalogue.loading import Catalogue, load_catalogue
from decision_core.evaluation.evaluator import Evaluator
from decision_core.plugins.registry import OutputFormat, PluginInfo

log = logging.getLogger("decision_core.adapters.http")

LOCAL_ORIGIN = "local"


@dataclass
class Backend:
    catalogue: Catalogue
    evaluator: Evaluator
    formats: dict[str, OutputFormat]
    plugins: list[PluginInfo] = field(default_factory=list)
    # The installation whose translations and catalogue of sources, facts and seek-care lines the
    # reports read (None: the process default); the triage levels shown are this catalogue's.
    core: DecisionCore | None = None

    @classmethod
    def from_registry(cls, engine: str | None = None, core: DecisionCore | None = None) -> "Backend":
        """An installation's catalogue: built-in rulesets and every loaded plugin (default: the
        process default installation)."""
        core = core or default_core()
        return cls(core.catalogue, core.evaluator(engine), dict(core.formats), list(core.plugins), core)

    @classmethod
    def from_directories(cls, directories: Iterable[str], engine: str | None = None,
                         formats: dict[str, OutputFormat] | None = None,
                         core: DecisionCore | None = None) -> "Backend":
        """Exactly the ruleset folders given (origin 'local'); output formats from the plugins when they
        load (``core``'s, default: the process default installation's)."""
        catalogue = load_catalogue([(d, LOCAL_ORIGIN) for d in directories])
        plugins: list[PluginInfo] = []
        if formats is None:
            formats = {}
            try:
                registry = (core or default_core()).registry
                formats, plugins = dict(registry.formats), list(registry.plugins)
            except Exception as exc:  # the local catalogue still serves; reports need the formats
                log.warning("serving local rulesets without output formats: the plugins did not load (%s)",
                            type(exc).__name__)
        return cls(catalogue, Evaluator(catalogue, engine), dict(formats), plugins, core)

    def add_format(self, name: str, media_type: str, extension: str, render, description: str = "",
                   binary: bool = False, plugin: str = LOCAL_ORIGIN) -> None:
        """Register an output format on this backend only (tests, embedding applications)."""
        if name in self.formats:
            raise ValueError(f"output format {name!r} is already registered by {self.formats[name].plugin}")
        self.formats[name] = OutputFormat(name, media_type, extension.lstrip("."), render, description, binary, plugin)

    # -------------------------------------------------------------- listings

    @property
    def engine(self) -> str:
        return self.evaluator.engine_name

    def facts_listing(self) -> list[dict[str, Any]]:
        return [f.to_dict() for f in self.catalogue.facts.values()]

    def causes_listing(self) -> list[dict[str, Any]]:
        rules_per_cause: dict[str, int] = {}
        for rule in self.catalogue.rules:
            if rule.then.kind == "cause":
                rules_per_cause[rule.then.target] = rules_per_cause.get(rule.then.target, 0) + 1
        return [{"id": c.id, "name": c.name, "why": c.why, "fix": c.fix, "sources": list(c.sources),
                 "ruleset": c.ruleset, "threshold": c.threshold, "rules": rules_per_cause.get(c.id, 0)}
                for c in self.catalogue.causes.values()]

    def sources_listing(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.catalogue.sources.values()]

    def formats_listing(self) -> list[dict[str, Any]]:
        return [f.to_dict() for f in self.formats.values()]

    def rulesets_listing(self) -> dict[str, Any]:
        plugins = [p.to_dict() for p in self.plugins]
        return {
            "fingerprint": self.catalogue.fingerprint(),
            "engine": self.engine,
            # the file path stays private: it tells a client nothing and an attacker something
            "rulesets": [{k: v for k, v in r.to_dict().items() if k != "file"} for r in self.catalogue.rulesets],
            "plugins": plugins,
            "failed_plugins": [p for p in plugins if p["status"] == "failed"],
        }
