"""Draw a figure as SVG: the start and end positions side by side, in one consistent line style.

Near limbs are dark, far limbs light; the head is a circle with a short mark for the face; props are
light grey shapes; an arrow in the end position shows where a moving point went. The SVG carries its
title (the exercise's name, in the reader's language, from the caller) and no other text.
"""
from __future__ import annotations

import math
from html import escape

from decision_core.figures.model import Figure
from decision_core.figures.scene import Camera, Scene, Shape, named, place
from decision_core.figures.skeleton import HEAD

PX = 100.0  # pixels per body height
INK, FAR, PROP_FILL, PROP_LINE, FLOOR, ARROW = "#1b1f24", "#a3aab5", "#e6e9ee", "#7b8494", "#9aa1ac", "#1f6feb"
STROKE = 0.032  # body line width, body heights
MARGIN, GAP = 0.06, 0.10

# the body's lines: (from, to, side); side None: the trunk, always dark
SEGMENTS = [(a.format(s=s), b.format(s=s), s) for s in ("right", "left") for a, b in (
    ("hip_{s}", "knee_{s}"), ("knee_{s}", "ankle_{s}"), ("heel_{s}", "toe_{s}"),
    ("shoulder_{s}", "elbow_{s}"), ("elbow_{s}", "hand_{s}"))] + [
    ("hip_right", "hip_left", None), ("shoulder_right", "shoulder_left", None)]


def _fmt(v: float) -> str:
    text = f"{v:.1f}"
    return "0" if text in ("0.0", "-0.0") else text.rstrip("0").rstrip(".")


class _Panel:
    """One pose seen from the camera: its elements by depth, in body-height units (y up)."""

    def __init__(self, scene: Scene, camera: Camera):
        self.scene, self.camera = scene, camera
        self.p = {k: camera.view(v) for k, v in scene.at.items() if k != "face"}

    def bounds(self) -> list[tuple[float, float]]:
        out = [(x, y) for x, y, _ in self.p.values()]
        hx, hy, _ = self.p["head"]
        out += [(hx - HEAD, hy - HEAD), (hx + HEAD, hy + HEAD)]
        for shape in self.scene.shapes:
            out += [self.camera.view(q)[:2] for q in shape.points]
        return out


def render(figure: Figure, title: str) -> str:
    """The SVG of a figure (poses drawn, or a plugin's own file) titled ``title``."""
    if figure.svg is not None:
        from decision_core.figures.files import titled

        return titled(figure.svg, title)
    camera = Camera(*figure.view)
    start, end = place(figure)
    panels = [_Panel(start, camera), _Panel(end, camera)]
    pts = [b for panel in panels for b in panel.bounds()]
    floor = _floor(panels, camera)
    pts += floor if camera.pitch > 40 else [(min(p[0] for p in floor), 0.0), (max(p[0] for p in floor), 0.0)]
    x0, x1 = min(p[0] for p in pts) - MARGIN, max(p[0] for p in pts) + MARGIN
    y0, y1 = min(p[1] for p in pts) - MARGIN, max(p[1] for p in pts) + MARGIN
    width, height = (x1 - x0) * PX, (y1 - y0) * PX
    total = 2 * width + GAP * PX
    body = []
    for i, panel in enumerate(panels):
        dx = i * (width + GAP * PX)
        # world (x, y up) -> panel pixels (y down)
        tf = (lambda x, y, dx=dx: (dx + (x - x0) * PX, (y1 - y) * PX))
        body.append(_panel(panel, tf, floor, camera, start if i else None, figure))
    divider = (f'<line x1="{_fmt(width + GAP * PX / 2)}" y1="{_fmt(height * 0.2)}" x2="{_fmt(width + GAP * PX / 2)}" '
               f'y2="{_fmt(height * 0.8)}" stroke="{PROP_FILL}" stroke-width="1.5"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_fmt(total)} {_fmt(height)}" '
            f'width="{_fmt(total)}" height="{_fmt(height)}" role="img" class="exercise-figure">'
            f"<title>{escape(title)}</title>{divider}{''.join(body)}</svg>")


def _floor(panels: list[_Panel], camera: Camera) -> list[tuple[float, float]]:
    """The floor under the figure: a line seen from the side, a mat seen from above."""
    placed = [v for panel in panels for k, v in panel.scene.at.items() if k != "face"]
    placed += [q for panel in panels for s in panel.scene.shapes for q in s.points]
    xs, zs = [v[0] for v in placed], [v[2] for v in placed]
    lo_x, hi_x, lo_z, hi_z = min(xs) - 0.08, max(xs) + 0.08, min(zs) - 0.08, max(zs) + 0.08
    return [camera.view(c)[:2] for c in ((lo_x, 0.0, lo_z), (hi_x, 0.0, lo_z), (hi_x, 0.0, hi_z), (lo_x, 0.0, hi_z))]


def _panel(panel: _Panel, tf, floor, camera: Camera, before: Scene | None, figure: Figure) -> str:
    out = []
    corners = [tf(x, y) for x, y in _hull(floor)]
    if camera.pitch > 40:  # seen from above: a mat under the figure
        out.append(f'<polygon points="{_points(corners)}" fill="#f6f7f9" stroke="none"/>')
    else:  # seen from the side (or a little above): a line under the lowest point that rests on the floor
        resting = [p[1] for k, p in panel.p.items() if panel.scene.at[k][1] < 0.02]
        y = tf(0.0, min(resting) if resting else 0.0)[1]
        ax, bx = min(c[0] for c in corners), max(c[0] for c in corners)
        out.append(f'<line x1="{_fmt(ax)}" y1="{_fmt(y)}" x2="{_fmt(bx)}" y2="{_fmt(y)}" stroke="{FLOOR}" '
                   f'stroke-width="2" stroke-linecap="round"/>')
    layers: list[tuple[float, str]] = []
    for shape in panel.scene.shapes:
        layers.append((-99.0 if shape.behind else _depth(shape.points, camera), _prop(shape, tf, camera)))
    p = panel.p
    trunk_depth = (p["pelvis"][2] + p["neck"][2]) / 2
    w = _fmt(STROKE * PX)
    for a, b, side in SEGMENTS:
        depth = (p[a][2] + p[b][2]) / 2
        colour = FAR if side and depth < trunk_depth - 0.03 else INK
        (ax, ay), (bx, by) = tf(*p[a][:2]), tf(*p[b][:2])
        layers.append((depth, f'<line x1="{_fmt(ax)}" y1="{_fmt(ay)}" x2="{_fmt(bx)}" y2="{_fmt(by)}" '
                              f'stroke="{colour}" stroke-width="{w}"/>'))
    (sx, sy), (cx, cy), (nx, ny) = tf(*p["pelvis"][:2]), tf(*camera.view(panel.scene.spine_control)[:2]), tf(*p["neck"][:2])
    layers.append((trunk_depth, f'<path d="M{_fmt(sx)} {_fmt(sy)}Q{_fmt(cx)} {_fmt(cy)} {_fmt(nx)} {_fmt(ny)}" '
                                f'fill="none" stroke="{INK}" stroke-width="{_fmt(STROKE * PX * 1.35)}"/>'))
    layers.append((p["head"][2], _head(panel, tf, camera)))
    body = "".join(svg for _, svg in sorted(layers, key=lambda layer: layer[0]))
    out.append(f'<g fill="none" stroke-linecap="round" stroke-linejoin="round">{body}</g>')
    if before is not None:
        for name in figure.moves:
            out.append(_arrow(tf(*camera.view(named(before.at, name))[:2]), tf(*camera.view(named(panel.scene.at, name))[:2]),
                              tf(*p["pelvis"][:2])))
    return "".join(out)


def _head(panel: _Panel, tf, camera: Camera) -> str:
    hx, hy, _ = panel.p["head"]
    cx, cy = tf(hx, hy)
    r = HEAD * PX
    fx, fy = camera.direction(panel.scene.at["face"])
    mark = ""
    if math.hypot(fx, fy) > 0.35:  # the face is not turned to or from the viewer: mark where it looks
        n = math.hypot(fx, fy)
        ux, uy = fx / n, -fy / n
        mark = (f'<line x1="{_fmt(cx + ux * r * 1.0)}" y1="{_fmt(cy + uy * r * 1.0)}" x2="{_fmt(cx + ux * r * 1.4)}" '
                f'y2="{_fmt(cy + uy * r * 1.4)}" stroke="{INK}" stroke-width="{_fmt(STROKE * PX * 0.7)}"/>')
    return (f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="{_fmt(r)}" fill="#fff" stroke="{INK}" '
            f'stroke-width="{_fmt(STROKE * PX * 0.9)}"/>{mark}')


def _prop(shape: Shape, tf, camera: Camera) -> str:
    pts = [tf(*camera.view(q)[:2]) for q in shape.points]
    if shape.line:
        (ax, ay), (bx, by) = pts
        return (f'<line x1="{_fmt(ax)}" y1="{_fmt(ay)}" x2="{_fmt(bx)}" y2="{_fmt(by)}" stroke="{PROP_LINE}" '
                f'stroke-width="2" stroke-dasharray="5 3"/>')
    groups = [pts]
    if shape.kind == "chair":  # seat, four legs, back: each its own outline
        groups = [pts[:8]] + [pts[8 + 8 * i:16 + 8 * i] for i in range(4)] + [pts[40:]]
    elif shape.kind == "barbell":
        groups = [pts[32:], pts[:32]]
    return "".join(f'<polygon points="{_points(_hull(g))}" fill="{PROP_FILL}" stroke="{PROP_LINE}" stroke-width="1.5" '
                   f'stroke-linejoin="round"/>' for g in groups)


def _arrow(a: tuple[float, float], b: tuple[float, float], centre: tuple[float, float]) -> str:
    """A curved arrow from ``a`` to ``b``, bowed away from the body's centre, its ends kept off the body."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy)
    if length < 12:
        return ""
    nx, ny = -dy / length, dx / length
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    if (mx - centre[0]) * nx + (my - centre[1]) * ny < 0:
        nx, ny = -nx, -ny
    off = 14.0
    a2, b2 = (a[0] + nx * off, a[1] + ny * off), (b[0] + nx * off, b[1] + ny * off)
    c = (mx + nx * (off + length * 0.22), my + ny * (off + length * 0.22))
    tx, ty = b2[0] - c[0], b2[1] - c[1]
    n = math.hypot(tx, ty) or 1.0
    tx, ty = tx / n, ty / n
    head = [(b2[0] + tx * 4, b2[1] + ty * 4), (b2[0] - tx * 7 - ty * 5, b2[1] - ty * 7 + tx * 5),
            (b2[0] - tx * 7 + ty * 5, b2[1] - ty * 7 - tx * 5)]
    return (f'<path d="M{_fmt(a2[0])} {_fmt(a2[1])}Q{_fmt(c[0])} {_fmt(c[1])} {_fmt(b2[0])} {_fmt(b2[1])}" fill="none" '
            f'stroke="{ARROW}" stroke-width="2.2" stroke-linecap="round"/>'
            f'<polygon points="{_points(head)}" fill="{ARROW}"/>')


def _depth(points, camera: Camera) -> float:
    return sum(camera.view(q)[2] for q in points) / len(points)


def _points(pts) -> str:
    return " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in pts)


def _hull(pts):
    """The convex hull of 2-D points (Andrew's monotone chain), counter-clockwise."""
    pts = sorted(set((round(x, 2), round(y, 2)) for x, y in pts))
    if len(pts) < 3:
        return pts

    def turn(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and turn(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and turn(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]
