"""Debian's Chromium driven by Playwright, for the tests that need a real browser (the handout's
layout, the practitioner's page, LHC-Forms). Playwright downloads no browser: the system one is
used. Locally a test skips when Playwright or Chromium is missing; under CI (CI set) that is a
failure, as .ci/run installs both."""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def chromium_executable() -> str | None:
    path = os.environ.get("CHROMIUM")
    if path:
        return path
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def unavailable(reason: str, how: str = "bash scripts/install-system-packages; pip install -e '.[test]'"):
    """Skip locally, fail under CI: what CI installs must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must have it ({how})")
    pytest.skip(reason)


def launch_chromium():
    """(playwright context manager, browser): one headless Chromium, or a skip/failure saying what is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (it is in the 'test' extra)")
    executable = chromium_executable()
    if executable is None:
        unavailable("no Chromium found (Debian package 'chromium'; or set CHROMIUM=/path/to/chromium)")
    manager = sync_playwright()
    playwright = manager.__enter__()
    try:
        return manager, playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except Exception:
        manager.__exit__(None, None, None)
        raise
