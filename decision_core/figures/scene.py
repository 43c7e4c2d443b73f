"""A figure's two poses placed in one world: on the floor (or resting on their props), the anchor point
in the same place in both, and the props built as 3-D point sets; then seen from the figure's view.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from decision_core.figures.model import PROP_KINDS, Figure, Pose, Prop
from decision_core.figures.skeleton import HEAD, Vec, add, back, points, scale

# a prop's size by kind: width (x), height (y), depth (z), in body heights
SIZES = {
    "block": (0.13, 0.05, 0.09), "step": (0.20, 0.10, 0.25), "bench": (0.62, 0.24, 0.22),
    "chair": (0.24, 0.26, 0.24), "foam_roller": (0.05, 0.05, 0.18), "barbell": (0.11, 0.11, 0.55),
    "ankle_weight": (0.04, 0.04, 0.05), "ball": (0.09, 0.09, 0.09), "wall": (0.03, 1.05, 0.5),
    "band": (0.0, 0.0, 0.0),
}
PAIRS = {"hands": "hand", "feet": "foot", "knees": "knee", "toes": "toe", "heels": "heel", "elbows": "elbow"}


@dataclass
class Shape:
    """A prop as a set of 3-D points drawn as their outline (hull), or a line (a band)."""

    kind: str
    points: list[Vec]
    line: bool = False
    behind: bool = True  # drawn before the body (a support, a wall); held props are drawn in depth order


@dataclass
class Scene:
    pose: Pose
    at: dict[str, Vec]  # the named points, placed
    spine_control: Vec
    shapes: list[Shape] = field(default_factory=list)


def named(at: dict[str, Vec], name: str) -> Vec:
    """A point by name: a body point, a side's foot (the middle of heel and toe), or the middle of a pair."""
    if name in at:
        return at[name]
    if name.startswith("foot_"):
        side = name.split("_", 1)[1]
        return _mid(at[f"heel_{side}"], at[f"toe_{side}"])
    if name == "chest":
        return _mid(at["neck"], _mid(at["neck"], at["pelvis"]))
    part = PAIRS[name]
    return _mid(named(at, f"{part}_right"), named(at, f"{part}_left"))


def _on_curve(a: Vec, c: Vec, b: Vec, t: float) -> Vec:
    """A point of the quadratic Bezier curve a-c-b."""
    return tuple((1 - t) ** 2 * a[i] + 2 * (1 - t) * t * c[i] + t * t * b[i] for i in range(3))  # type: ignore[return-value]


def _mid(a: Vec, b: Vec) -> Vec:
    return scale(add(a, b), 0.5)


def _body(pose: Pose) -> tuple[dict[str, Vec], Vec]:
    at = points(pose)
    pelvis, neck = at["pelvis"], at["neck"]
    bulge = (pose.spine / 90.0) * 0.2
    control = add(_mid(pelvis, neck), scale(back(pose), bulge))
    at["lower_back"] = _on_curve(pelvis, control, neck, 0.35)  # on the curve of the spine, a third of the way up
    return at, control


def place(figure: Figure) -> tuple[Scene, Scene]:
    """The start and end poses placed: the anchor at x = z = 0, resting on the floor or their supports."""
    scenes = []
    for pose in (figure.start, figure.end):
        at, control = _body(pose)
        anchor = named(at, figure.anchor)
        shift = (-anchor[0], 0.0, -anchor[2])
        at = {k: (v if k == "face" else add(v, shift)) for k, v in at.items()}
        control = add(control, shift)
        lift = _lift(at, figure.props)
        at = {k: (v if k == "face" else add(v, (0.0, lift, 0.0))) for k, v in at.items()}
        scenes.append(Scene(pose, at, add(control, (0.0, lift, 0.0))))
    start, end = scenes
    for scene in scenes:
        scene.shapes = [_shape(p, scene.at, start.at) for p in figure.props]
    return start, end


def _lift(at: dict[str, Vec], props: tuple[Prop, ...]) -> float:
    """How far up the body goes so that nothing is below the floor and each support has its point on top."""
    lowest = min(v[1] - (HEAD if k == "head" else 0.0) for k, v in at.items() if k != "face")
    lift = -lowest
    for prop in props:
        if PROP_KINDS[prop.kind] == "support":
            height = _size(prop)[1] + prop.offset[1]
            lift = max(lift, height - named(at, prop.at)[1])
    return lift


def _size(prop: Prop) -> tuple[float, float, float]:
    return prop.size or SIZES[prop.kind]


def _box(cx: float, cz: float, w: float, d: float, y0: float, y1: float) -> list[Vec]:
    return [(cx + sx * w / 2, y, cz + sz * d / 2) for sx in (-1, 1) for sz in (-1, 1) for y in (y0, y1)]


def _cylinder(centre: Vec, radius: float, length: float, axis: int) -> list[Vec]:
    """A cylinder along the x (0) or z (2) axis: the rims of its two ends."""
    out = []
    for end in (-length / 2, length / 2):
        for i in range(16):
            a = 2 * math.pi * i / 16
            p = [centre[0], centre[1] + radius * math.sin(a), centre[2]]
            p[axis] += end
            p[2 - axis] += radius * math.cos(a)
            out.append((p[0], p[1], p[2]))
    return out


def _shape(prop: Prop, at: dict[str, Vec], first: dict[str, Vec]) -> Shape:
    w, h, d = _size(prop)
    ox, oy, oz = prop.offset
    role = PROP_KINDS[prop.kind]
    point = named(first if role == "fixed" else at, prop.at)
    x, y, z = point[0] + ox, point[1] + oy, point[2] + oz
    if prop.kind == "band":  # from the point, as it is now, to where it is tied (the point at the start + offset)
        return Shape("band", [named(at, prop.at), (x, y, z)], line=True, behind=False)
    if role == "support":
        top = named(at, prop.at)[1]
        if prop.kind == "chair":  # a seat, and a back behind it
            seat = _box(x, z, w, d, top - 0.025, top)
            legs = [p for px in (-1, 1) for pz in (-1, 1)
                    for p in _box(x + px * (w / 2 - 0.01), z + pz * (d / 2 - 0.01), 0.014, 0.014, 0.0, top - 0.025)]
            backrest = _box(x - w / 2, z, 0.02, d, top, top + 0.24)
            return Shape("chair", seat + legs + backrest)
        return Shape(prop.kind, _box(x, z, w, d, 0.0, top))
    if prop.kind == "wall":
        return Shape("wall", _box(x, z, w, d, 0.0, h))
    if prop.kind in ("barbell", "foam_roller", "ankle_weight"):
        centre = (x, y, z)
        if prop.kind == "barbell":  # a bar across the body with a plate at each end
            return Shape("barbell", _cylinder(centre, h / 2, d, 2) + _cylinder(centre, 0.012, d + 0.12, 2), behind=False)
        return Shape(prop.kind, _cylinder(centre, h / 2, d, 2), behind=False)
    return Shape(prop.kind, _cylinder((x, y, z), h / 2, h, 2), behind=False)


class Camera:
    """Orthographic: the world turned by yaw (about y), then pitched (about x) towards the viewer."""

    def __init__(self, yaw: float, pitch: float):
        self.pitch = pitch
        self.cy, self.sy = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
        self.cp, self.sp = math.cos(math.radians(pitch)), math.sin(math.radians(pitch))

    def view(self, p: Vec) -> Vec:
        x = p[0] * self.cy + p[2] * self.sy
        z = -p[0] * self.sy + p[2] * self.cy
        return (x, p[1] * self.cp - z * self.sp, p[1] * self.sp + z * self.cp)

    def direction(self, v: Vec) -> tuple[float, float]:
        x, y, _ = self.view(v)
        return x, y
