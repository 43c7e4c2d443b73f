"""Where a plugin broke: the file and line of the plugin's own code, for error messages."""
from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import traceback
from typing import Any, Callable

from decision_core.catalogue.loading import _display

# The plugin core's own frames (the register callbacks) are never the place to point at, even
# for the built-ins, whose code lives in the same package.
_CORE_DIR = os.path.dirname(os.path.abspath(__file__))  # this package: the plugin core
_CORE_FILES = frozenset(os.path.join(_CORE_DIR, name) for name in
                        ("loading.py", "registrations.py", "registry.py"))


def plugin_roots(obj: Any) -> tuple[str, ...]:
    """The file, or top-level package folder, a plugin object's code lives in."""
    module = obj if inspect.ismodule(obj) else inspect.getmodule(obj)
    if module is None:
        return ()
    top = sys.modules.get(module.__name__.partition(".")[0], module)
    if getattr(top, "__path__", None):
        return tuple(os.path.abspath(p) + os.sep for p in top.__path__)
    path = getattr(top, "__file__", None)
    return (os.path.abspath(path),) if path else ()


def module_roots(module_name: str) -> tuple[str, ...]:
    """Where a not-yet-imported module's top-level package lives (without importing it)."""
    try:
        spec = importlib.util.find_spec(module_name.split(".")[0])
    except (ImportError, ValueError):
        return ()
    if spec is None:
        return ()
    if spec.submodule_search_locations:
        return tuple(os.path.abspath(p) + os.sep for p in spec.submodule_search_locations)
    return (os.path.abspath(spec.origin),) if spec.origin else ()


def raised_at(exc: BaseException, roots: tuple[str, ...], fallback: Callable | None = None) -> str | None:
    """'file:line' of the plugin's own code that raised (deepest frame inside the plugin)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{_display(exc.filename)}:{exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) not in _CORE_FILES]
    for frame in reversed(frames):
        if roots and os.path.abspath(frame.filename).startswith(roots):
            return f"{_display(frame.filename)}:{frame.lineno}"
    if fallback is not None:
        return function_at(fallback)
    for frame in reversed(frames):
        if not frame.filename.startswith("<"):
            return f"{_display(frame.filename)}:{frame.lineno}"
    return None


def function_at(function: Callable) -> str | None:
    try:
        return f"{_display(inspect.getsourcefile(function))}:{inspect.getsourcelines(function)[1]}"
    except (TypeError, OSError):
        return None


def roots_display(plugin: Any) -> str | None:
    roots = plugin_roots(plugin)
    return _display(roots[0]) if roots else None


def at(where: str | None) -> str:
    return f" ({where})" if where else ""
