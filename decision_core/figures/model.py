"""What a figure of an exercise is: two poses (start and end) of one stick figure, the props it needs,
and how it is looked at; or the text of an SVG file a plugin supplies instead.

A pose is joint angles, in degrees, from a named position (the body's orientation and its usual
joint angles, :data:`POSITIONS`): a side figure faces right and shows its right side, so "right" is the
near side. A joint given once applies to both sides; ``left``/``right`` override one side.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The body's orientation in a position (trunk: upright, lying, on its side) and the joint angles it starts from.
# lean: the trunk tipped forward (degrees; -90 lies on the back, 90 face down). side: lying on the right side.
POSITIONS: dict[str, dict] = {
    "standing": {"lean": 0},
    "sitting": {"lean": 0, "hip": 90, "knee": 90},  # on a chair, a bench or a step
    "sitting_floor": {"lean": 0, "hip": 90, "knee": 0},
    "kneeling": {"lean": 0, "hip": 0, "knee": 90, "ankle": 40},
    "half_kneeling": {"lean": 0, "right": {"hip": 90, "knee": 90}, "left": {"hip": -10, "knee": 90, "ankle": 40}},
    "all_fours": {"lean": 90, "hip": 90, "knee": 90, "ankle": 40, "shoulder": 90},
    "supine": {"lean": -90},
    "prone": {"lean": 90, "ankle": 40},
    "side_lying": {"lean": 0, "side": True},
}
JOINTS = ("hip", "knee", "ankle", "shoulder", "elbow")
# the parts of a hip or shoulder angle: flexion, abduction (away from the midline), internal rotation
HIP_PARTS = ("flex", "abd", "rot")
VIEWS = {"side": (0.0, 0.0), "front": (-90.0, 0.0), "top": (0.0, 90.0), "back": (90.0, 0.0)}

# Props: what each kind is for. support: under a point of the body, which rests on it; held: at a point
# (it moves with it); fixed: stands where the body is in the first pose (a wall, a band's anchor).
PROP_KINDS = {
    "block": "support", "step": "support", "bench": "support", "chair": "support",
    "foam_roller": "held", "barbell": "held", "ankle_weight": "held", "ball": "held",
    "wall": "fixed", "band": "fixed",
}
# points of the body a prop or an arrow can name; a pair name (knees, feet) is the middle of the two
POINTS = ("pelvis", "neck", "head", "chest", "lower_back", "hands", "feet", "knees", "toes", "heels", "elbows") + tuple(
    f"{part}_{side}" for part in ("hip", "knee", "ankle", "toe", "shoulder", "elbow", "hand", "foot")
    for side in ("left", "right"))


@dataclass(frozen=True)
class Angle:
    """A hip or shoulder: flexion, abduction, internal rotation (degrees)."""

    flex: float = 0.0
    abd: float = 0.0
    rot: float = 0.0


@dataclass(frozen=True)
class Side:
    hip: Angle = Angle()
    knee: float = 0.0
    ankle: float = 0.0  # plantar flexion: the toes pointed away from the shin
    shoulder: Angle = Angle()
    elbow: float = 0.0


@dataclass(frozen=True)
class Pose:
    position: str
    lean: float = 0.0  # the trunk tipped forward from the position's orientation
    turn: float = 0.0  # the whole body turned about the vertical (degrees, to its left)
    tilt: float = 0.0  # the pelvis dropped on the right side (degrees; negative: on the left)
    spine: float = 0.0  # the back rounded (positive) or arched (negative)
    neck: float = 0.0  # the chin tucked (positive) or the head tipped back to look up (negative)
    side: bool = False  # lying on the right side (the position says)
    right: Side = Side()
    left: Side = Side()


@dataclass(frozen=True)
class Prop:
    kind: str
    at: str  # a point of the body (POINTS)
    size: tuple[float, float, float] | None = None  # width (x), height (y), depth (z), body heights; None: the kind's
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Figure:
    """An exercise's picture: poses and props drawn by :mod:`decision_core.figures.svg`, or a plugin's SVG text."""

    start: Pose | None = None
    end: Pose | None = None
    view: tuple[float, float] = (0.0, 0.0)  # (yaw, pitch) of the camera, degrees: VIEWS
    props: tuple[Prop, ...] = ()
    moves: tuple[str, ...] = ()  # points whose path from start to end is drawn as an arrow
    anchor: str = "pelvis"  # the point that stays in place from start to end
    svg: str | None = field(default=None, repr=False)  # a plugin's own drawing (sanitised SVG text)
    svg_file: str | None = None  # where it came from, relative to its ruleset file
