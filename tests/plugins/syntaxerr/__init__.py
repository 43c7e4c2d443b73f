"""Not valid Python, on purpose: loading it names this file and line."""


def broken(:
    pass
