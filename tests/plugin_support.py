"""Test plugins given to an installation as they are: ``DecisionCore.load(plugins=...)`` with the
packages under tests/plugins/ (or another folder), imported from their files. No fake install, no
``sys.path`` entry; for what installing itself does (entry points, DECISION_CORE_PLUGINS, import
failures and time limits) the tests use ``decision_core.testing.installed_plugin`` instead."""
from __future__ import annotations

import contextlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterator

from decision_core.installation import DecisionCore

PLUGINS = Path(__file__).resolve().parent / "plugins"


def _import(name: str, folder: Path) -> ModuleType:
    init = folder / name / "__init__.py"
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def plugin_modules(*names: str, folder: Path = PLUGINS) -> Iterator[list[ModuleType]]:
    """The packages ``folder/<name>`` imported from their files, in ``sys.modules`` for the block
    (an error message finds a plugin's own lines through it), forgotten after it."""
    before = {n: sys.modules.get(n) for n in names}
    try:
        yield [_import(n, folder) for n in names]
    finally:
        for name, module in before.items():
            for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
                del sys.modules[key]
            if module is not None:
                sys.modules[name] = module


def load_with(*names: str, folder: Path = PLUGINS, strict: bool | None = None, **named: str) -> DecisionCore:
    """An installation of the built-ins and these test plugins, each named by its package (``names``)
    or by a keyword (``first="claims"``)."""
    packages = list(names) + [p for p in named.values() if p not in names]
    with plugin_modules(*packages, folder=folder) as modules:
        by_package = dict(zip(packages, modules))
        given = {n: by_package[n] for n in names} | {key: by_package[p] for key, p in named.items()}
        return DecisionCore.load(strict, plugins=given)
