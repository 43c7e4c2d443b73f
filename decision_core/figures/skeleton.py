"""A pose's joint angles -> the body's points in 3-D: forward kinematics of a stick figure.

World axes: x to the right of the picture, y up, z towards the viewer. Standing, the figure faces +x and
shows its right side. Lengths are in body heights.
"""
from __future__ import annotations

import math

from decision_core.figures.model import Angle, Pose, Side

Vec = tuple[float, float, float]

# segment lengths, in body heights (rounded anthropometric proportions)
TRUNK, NECK, HEAD = 0.30, 0.045, 0.062
HIP_WIDTH, SHOULDER_WIDTH = 0.085, 0.115
THIGH, SHANK, FOOT = 0.245, 0.245, 0.11
UPPER_ARM, FOREARM = 0.18, 0.20  # the forearm with the hand


def add(a: Vec, b: Vec) -> Vec:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def scale(a: Vec, k: float) -> Vec:
    return (a[0] * k, a[1] * k, a[2] * k)


def cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def rotate(v: Vec, axis: Vec, degrees: float) -> Vec:
    """``v`` turned about the unit vector ``axis`` by ``degrees`` (right-handed; Rodrigues' formula)."""
    if not degrees:
        return v
    t = math.radians(degrees)
    c, s = math.cos(t), math.sin(t)
    dot = v[0] * axis[0] + v[1] * axis[1] + v[2] * axis[2]
    ax = cross(axis, v)
    return tuple(v[i] * c + ax[i] * s + axis[i] * dot * (1 - c) for i in range(3))  # type: ignore[return-value]


class Frame:
    """Three unit vectors: forward (the belly's side), up (towards the head), left (the body's left)."""

    def __init__(self, f: Vec, u: Vec, l: Vec):
        self.f, self.u, self.l = f, u, l

    def turned(self, axis: Vec, degrees: float) -> "Frame":
        return Frame(rotate(self.f, axis, degrees), rotate(self.u, axis, degrees), rotate(self.l, axis, degrees))


def trunk_frame(pose: Pose) -> Frame:
    if pose.side:  # on the right side, head to the left, belly towards the viewer
        frame = Frame((0.0, 0.0, 1.0), (-1.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    else:
        frame = Frame((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, -1.0))
    frame = frame.turned((0.0, 1.0, 0.0), pose.turn)
    frame = frame.turned(frame.f, pose.tilt)
    return frame.turned(frame.l, pose.lean)  # about the left axis, up tips towards forward


def _limb_frame(frame: Frame, angle: Angle, sign: int) -> Frame:
    """The frame of a thigh or upper arm: flexion, then abduction, then internal rotation (sign: right +1)."""
    out = frame.turned(scale(frame.l, -1), angle.flex)
    out = out.turned(scale(out.f, -sign), angle.abd)
    return out.turned(scale(out.u, sign), angle.rot)


def points(pose: Pose) -> dict[str, Vec]:
    """The named points of the body, the pelvis at the origin."""
    t = trunk_frame(pose)
    pelvis = (0.0, 0.0, 0.0)
    neck = scale(t.u, TRUNK)
    head_frame = t.turned(t.l, pose.neck)
    out: dict[str, Vec] = {"pelvis": pelvis, "neck": neck, "head": add(neck, scale(head_frame.u, NECK + HEAD)),
                           "face": head_frame.f}
    for name, sign, side in (("right", 1, pose.right), ("left", -1, pose.left)):
        out.update(_side(t, name, sign, side, neck))
    return out


def _side(t: Frame, name: str, sign: int, side: Side, neck: Vec) -> dict[str, Vec]:
    lateral = scale(t.l, -sign * 1.0)
    hip = scale(lateral, HIP_WIDTH)
    thigh = _limb_frame(t, side.hip, sign)
    knee = add(hip, scale(thigh.u, -THIGH))
    shank = thigh.turned(thigh.l, side.knee)
    ankle = add(knee, scale(shank.u, -SHANK))
    foot = shank.turned(shank.l, side.ankle)
    toe = add(add(ankle, scale(foot.f, FOOT)), scale(foot.u, -0.02))
    heel = add(ankle, add(scale(foot.f, -0.025), scale(foot.u, -0.03)))
    shoulder = add(add(neck, scale(t.u, -0.03)), scale(lateral, SHOULDER_WIDTH))
    arm = _limb_frame(t, side.shoulder, sign)
    elbow = add(shoulder, scale(arm.u, -UPPER_ARM))
    forearm = arm.turned(scale(arm.l, -1), side.elbow)
    hand = add(elbow, scale(forearm.u, -FOREARM))
    return {f"hip_{name}": hip, f"knee_{name}": knee, f"ankle_{name}": ankle, f"toe_{name}": toe,
            f"heel_{name}": heel, f"shoulder_{name}": shoulder, f"elbow_{name}": elbow, f"hand_{name}": hand}


def back(pose: Pose) -> Vec:
    """The direction the back faces (for the curve of a rounded or arched spine)."""
    return scale(trunk_frame(pose).f, -1)
