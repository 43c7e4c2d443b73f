"""The import rules of pyproject.toml's ``[tool.importlinter]``, run by import-linter: the core in
layers, the core never importing an adapter, no import circles. Every import counts, those inside
functions too (only ``if TYPE_CHECKING:`` ones do not).

The adapters live in adapters/ but install as ``decision_core.adapters`` (pyproject's package-dir),
which an editable install maps by an import hook that import-linter cannot walk. So the rules run
over a folder that lays the package out as installed: ``decision_core/`` with links to the
repository's modules and subpackages, ``adapters`` and ``rulesets`` among them.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = REPO / "pyproject.toml"
CONTRACTS = {c["id"]: c for c in tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]}
# Removed by http23 (issue 23 section 3: the views read the installation from current_app, no more `state`).
KNOWN_CIRCLE = "no-circles-http-views"
INSTALLED_AS = {"adapters": "adapters", "rulesets": "rulesets"}  # repository folder -> name under decision_core

_RUN = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename=sys.argv[1], limit_to_contracts=tuple(sys.argv[2:]), "
        "no_cache=True, no_logo=True))")


def lay_out(folder: Path, extra: dict[str, str] | None = None) -> Path:
    """``folder/decision_core`` as installed, linking the repository's files; ``extra``: more modules
    (path under decision_core -> source text), for the test that the rules can fail."""
    package = folder / "decision_core"
    package.mkdir(parents=True)
    for entry in (REPO / "decision_core").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for repo_name, name in INSTALLED_AS.items():
        (package / name).symlink_to(REPO / repo_name)
    for relative, text in (extra or {}).items():
        target = package / relative
        if target.parent.is_symlink():  # a real folder of links, so that the new module lands outside the repository
            source = target.parent.resolve()
            target.parent.unlink()
            target.parent.mkdir()
            for entry in source.iterdir():
                if entry.name != "__pycache__":
                    (target.parent / entry.name).symlink_to(entry)
        target.write_text(text, encoding="utf-8")
    return folder


def run_contracts(folder: Path, *ids: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(folder)}
    return subprocess.run([sys.executable, "-c", _RUN, str(PYPROJECT), *ids], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory) -> Path:
    return lay_out(tmp_path_factory.mktemp("installed"))


def test_the_import_rules_hold(laid_out):
    ids = [cid for cid in CONTRACTS if cid != KNOWN_CIRCLE]
    run = run_contracts(laid_out, *ids)
    if run.returncode != 0:
        pytest.fail(f"an import rule is broken (pyproject.toml [tool.importlinter]):\n{run.stdout}{run.stderr}",
                    pytrace=False)
    assert f"Contracts: {len(ids)} kept, 0 broken." in run.stdout


@pytest.mark.xfail(strict=True, reason="the HTTP views import the app's `state` back: removed by http23 "
                                        "(issue 23 section 3); then drop this mark and the contract no-circles-http")
def test_the_http_adapter_has_no_circle_at_all(laid_out):
    run = run_contracts(laid_out, KNOWN_CIRCLE)
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_part_of_decision_core_is_placed_by_the_rules():
    """A new subpackage or top-level module must be given a layer, and the core ones are checked for
    imports of the adapters: otherwise the rules would say nothing about it."""
    parts = {p.stem for p in (REPO / "decision_core").iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    parts |= set(INSTALLED_AS.values())
    layered = {name.strip().removeprefix("decision_core.") for layer in CONTRACTS["layers"]["layers"]
               for name in layer.split("|")}
    assert parts - layered == set(), "not in a layer of the 'layers' contract"
    assert layered - parts == set(), "a layer names no module"
    sources = {name.removeprefix("decision_core.") for name in CONTRACTS["core-without-adapters"]["source_modules"]}
    assert sources == parts - {"adapters"}


@pytest.mark.parametrize("where, text, broken", [
    # an import inside a function counts: the core never imports an adapter, not even lazily
    ("catalogue/zz_probe.py", "def later():\n    from decision_core.adapters import reports\n",
     "The core never imports an adapter BROKEN"),
    # a lower layer importing a higher one
    ("engine/zz_probe.py", "from decision_core.installation import default_core\n",
     "each importing only those below it; the adapters on top BROKEN"),
    # a circle between two modules of one subpackage, one side inside a function
    ("policy/zz_probe.py", "from decision_core.policy import zz_other\n",
     "No cycles are allowed in decision_core.policy"),
])
def test_the_rules_catch_a_bad_import(tmp_path, where, text, broken):
    extra = {where: text}
    if "zz_other" in text:
        extra["policy/zz_other.py"] = "def back():\n    from decision_core.policy import zz_probe\n"
    run = run_contracts(lay_out(tmp_path, extra), *[cid for cid in CONTRACTS if cid != KNOWN_CIRCLE])
    assert run.returncode != 0
    assert broken in run.stdout and "zz_probe" in run.stdout
