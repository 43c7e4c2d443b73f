"""A real install of the example plugin: pip into a temporary environment, then
``decision-core`` in that environment before the install, after it, and after
uninstalling. Installing changes the result; uninstalling restores it exactly.

The environment is a ``--system-site-packages`` venv that also sees this
interpreter's own site-packages (this interpreter may itself be a venv, whose
packages are not "system" ones), so the core is importable without
re-installing anything; pip installs only the plugin, with ``--no-index``.
"""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PLUGIN = REPO / "plugins" / "hamstring-strength-deficit"
DISTRIBUTION = "hamstring-strength-deficit"


# Only the core's facts: valid with and without the plugin.
CORE_FACTS = {"quads_stronger_than_hamstrings": True, "strength_training_focus": "quads"}
# The plugin's own fact: unknown to the core alone.
PLUGIN_FACTS = dict(CORE_FACTS, hamstring_strength_tested_weak=True)


class Env:
    def __init__(self, root: Path):
        self.root = root
        self.python = root / "bin" / "python"
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("PYTHONPATH", "DECISION_CORE_PLUGINS", "DECISION_CORE_STRICT", "PIP_USER")}

    def run(self, *args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run([str(self.python), *args], capture_output=True, text=True, timeout=120,
                             env=dict(self.env, **(env or {})), cwd=self.root)
        if check and out.returncode != 0:
            raise AssertionError(f"{args} exited {out.returncode}:\n{out.stdout}\n{out.stderr}")
        return out

    def evaluate(self, facts: dict, **env) -> tuple[int, dict]:
        path = self.root / "facts.json"
        path.write_text(json.dumps(facts), encoding="utf-8")
        out = self.run("-m", "decision_core.cli.main", "evaluate", "--json", str(path), env=env, check=False)
        assert out.returncode in (0, 2), out.stderr
        return out.returncode, json.loads(out.stdout)

    def plugins(self) -> dict[str, dict]:
        out = self.run("-m", "decision_core.cli.main", "plugins", "--json")
        return {p["name"]: p for p in json.loads(out.stdout)}


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Env:
    root = tmp_path_factory.mktemp("real-install")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(root / "venv")],
                   check=True, capture_output=True, timeout=120)
    env = Env(root / "venv")
    purelib = Path(env.run("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    parents = [p for p in site.getsitepackages() + [site.getusersitepackages()] if Path(p).is_dir()]
    # addsitedir (not a bare path) so the parent's .pth files run too: the core's editable install is one.
    (purelib / "_parent_site.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in parents) + "\n", encoding="utf-8")
    env.root = root
    return env


def test_installing_the_plugin_changes_results_and_uninstalling_restores_them(venv, tmp_path):
    # before: the core alone
    assert "hamstring_strength_deficit" not in venv.plugins()
    code, before = venv.evaluate(CORE_FACTS)
    assert code == 0 and "hamstring_strength_deficit" not in [c["id"] for c in before["causes"]]
    code, rejected = venv.evaluate(PLUGIN_FACTS)
    assert code == 2 and rejected["error"] == "invalid_facts"
    assert list(rejected["fields"]) == ["hamstring_strength_tested_weak"]

    # install: a copy, so the build leaves nothing in the repository
    source = tmp_path / "plugin"
    shutil.copytree(PLUGIN, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    venv.run("-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", str(source))
    assert not (PLUGIN / "build").exists()
    info = venv.plugins()["hamstring_strength_deficit"]
    assert (info["status"], info["version"], info["distribution"]) == ("ok", "1.0.0", DISTRIBUTION)
    assert info["registered"]["causes"] == ["hamstring_strength_deficit"]
    # its Spanish and German catalogues are installed with it (package data) and merged with the core's
    assert info["registered"]["translations"] == ["de", "es"]
    stats = json.loads(venv.run("-m", "decision_core.cli.main", "translations", "stats", "--json").stdout)
    assert all(stats[lang]["missing"] == [] and stats[lang]["total"] > 400 for lang in ("de", "es"))

    code, with_core_facts = venv.evaluate(CORE_FACTS)
    assert code == 0
    assert with_core_facts["causes"] == before["causes"]  # two supporting signals stay below the threshold
    plugin_rulesets = [r for r in with_core_facts["rulesets"] if r["plugin"] == "hamstring_strength_deficit"]
    assert len(plugin_rulesets) == 4
    assert [r for r in with_core_facts["rulesets"] if r not in plugin_rulesets] == before["rulesets"]

    code, after = venv.evaluate(PLUGIN_FACTS)
    assert code == 0
    causes = {c["id"]: c for c in after["causes"]}
    assert list(causes) == ["quad_dominance", "hamstring_strength_deficit"]  # scores 6 and 5
    assert {e["rule"] for e in causes["hamstring_strength_deficit"]["evidence"]} == {
        "hamstring_strength_deficit.tested_weak", "hamstring_strength_deficit.quads_stronger",
        "hamstring_strength_deficit.no_hamstring_training"}
    assert causes["quad_dominance"] == before["causes"][0]
    recs = {r["id"]: r for r in after["recommendations"]}
    assert "hamstring_strength_deficit" in recs["hamstring_curl"]["for_causes"]
    assert {"home_hamstring_strengthening", "stiff_leg_deadlift"} <= set(recs)
    assert "quad_only_strength_sessions" in [a["id"] for a in after["avoid"]]

    # installed but not allowed: as if absent
    code, restricted = venv.evaluate(CORE_FACTS, DECISION_CORE_PLUGINS="")
    assert (code, restricted) == (0, before)

    # uninstall: exactly as before
    venv.run("-m", "pip", "uninstall", "--yes", "--quiet", DISTRIBUTION)
    assert "hamstring_strength_deficit" not in venv.plugins()
    assert venv.evaluate(CORE_FACTS) == (0, before)
    assert venv.evaluate(PLUGIN_FACTS) == (2, rejected)
