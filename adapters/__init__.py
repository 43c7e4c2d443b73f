"""The adapters, installed as ``decision_core.adapters``: ``reports`` (the output formats) and
``http`` (the Flask app, which may use the reports, never the reverse). They may import any part
of the core; the core never imports them: their plugins come in through the entry-point group
``decision_core.builtin`` (pyproject.toml). The rules: pyproject.toml ``[tool.importlinter]``.
"""
