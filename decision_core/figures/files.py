"""A plugin's own drawing of an exercise: an SVG file next to its ruleset, read once as the ruleset
loads, checked to be a plain drawing (no scripts, no event handlers, no outside links, no entities),
and given the caller's title when it is drawn.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
MAX_BYTES = 200_000
_FORBIDDEN = {"script", "foreignObject", "iframe", "embed", "object"}


class FigureFileError(ValueError):
    """The figure file is missing, too big or not a plain SVG drawing (the message says which)."""


def read_figure_file(folder: Path, relative: str) -> str:
    """The checked SVG text of ``folder/relative``, its own <title> left out (the caller gives one)."""
    path = (folder / relative).resolve()
    if folder.resolve() not in path.parents:
        raise FigureFileError(f"{relative}: the file must be inside the ruleset's folder")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FigureFileError(f"{relative}: cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise FigureFileError(f"{relative}: {len(raw)} bytes; a figure is at most {MAX_BYTES}")
    text = raw.decode("utf-8", errors="replace")
    if re.search(r"<!(DOCTYPE|ENTITY)", text):
        raise FigureFileError(f"{relative}: no DOCTYPE or entities in a figure")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise FigureFileError(f"{relative}: not well-formed XML ({exc})") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise FigureFileError(f"{relative}: the root element is not <svg> (in the SVG namespace)")
    for el in root.iter():
        local = el.tag.rsplit("}", 1)[-1]
        if local in _FORBIDDEN:
            raise FigureFileError(f"{relative}: <{local}> is not allowed in a figure")
        for name, value in el.attrib.items():
            attr = name.rsplit("}", 1)[-1]
            if attr.lower().startswith("on"):
                raise FigureFileError(f"{relative}: event handler {attr} is not allowed in a figure")
            if attr == "href" and not value.startswith("#"):
                raise FigureFileError(f"{relative}: a link out of the file ({value[:40]}) is not allowed in a figure")
    for title in [el for el in root if el.tag == f"{{{SVG_NS}}}title"]:
        root.remove(title)
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(root, encoding="unicode")


def titled(svg: str, title: str) -> str:
    """The SVG with ``title`` as its first child and role="img" (a checked file from read_figure_file)."""
    head_end = svg.index(">", svg.index("<svg")) + 1
    head = svg[:head_end]
    if head.endswith("/>"):  # an empty drawing
        head, svg = head[:-2] + ">", head[:-2] + "></svg>"
    if "role=" not in head:
        head = head[:-1] + ' role="img">'
    return f"{head}<title>{escape(title)}</title>{svg[head_end:]}"
