"""The ``figure:`` of an exercise in a ruleset (docs/ruleset-format.md, "Figures"): validated as the
item is loaded, into a :class:`decision_core.figures.model.Figure`.

    figure:
      view: side                 # side (default), front, back, top, or {yaw: 30, pitch: 20}
      anchor: feet               # the point that stays put from start to end (default: pelvis)
      props: [{prop: block, at: toes}]
      moves: [knee_right]        # an arrow from where it starts to where it ends
      start: {position: supine, hip: 60, knee: 100}
      end: {position: supine, hip: 0, knee: 80}

or ``figure: {svg: figures/my_exercise.svg}``: a drawing of the plugin's own, next to the ruleset file.
"""
from __future__ import annotations

from numbers import Real

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from decision_core.figures.model import (
    HIP_PARTS, JOINTS, POINTS, POSITIONS, PROP_KINDS, VIEWS, Angle, Figure, Pose, Prop, Side,
)

DEGREES = validate.Range(min=-180, max=180)


class _Strict(Schema):
    class Meta:
        ordered = True


class JointField(fields.Field):
    """A hip or shoulder: a number (flexion) or {flex, abd, rot}; a knee, ankle or elbow: a number."""

    def __init__(self, parts: tuple[str, ...] = (), **kwargs):
        super().__init__(**kwargs)
        self.parts = parts

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, Real) and not isinstance(value, bool):
            number = float(value)
            if not -180 <= number <= 180:
                raise ValidationError("an angle is between -180 and 180 degrees")
            return number
        if self.parts and isinstance(value, dict):
            unknown = sorted(set(value) - set(self.parts))
            if unknown:
                raise ValidationError(f"unknown part(s) {', '.join(unknown)}; a joint has {', '.join(self.parts)}")
            out = {}
            for part, angle in value.items():
                if not isinstance(angle, Real) or isinstance(angle, bool) or not -180 <= angle <= 180:
                    raise ValidationError(f"{part}: an angle in degrees, between -180 and 180")
                out[part] = float(angle)
            return out
        raise ValidationError("an angle in degrees" + (f", or {{{', '.join(self.parts)}}}" if self.parts else ""))


def _joints():
    return {"hip": JointField(HIP_PARTS), "knee": JointField(), "ankle": JointField(),
            "shoulder": JointField(HIP_PARTS[:2]), "elbow": JointField()}


SideSchema = Schema.from_dict(_joints(), name="SideSchema")


class PoseSchema(_Strict):
    position = fields.String(required=True, validate=validate.OneOf(tuple(POSITIONS)))
    lean = fields.Float(validate=DEGREES)
    turn = fields.Float(validate=DEGREES)
    tilt = fields.Float(validate=validate.Range(min=-45, max=45))
    spine = fields.Float(validate=validate.Range(min=-60, max=90))
    neck = fields.Float(validate=validate.Range(min=-60, max=60))
    right = fields.Nested(SideSchema)
    left = fields.Nested(SideSchema)
    hip = JointField(HIP_PARTS)  # both sides; right/left override one
    knee = JointField()
    ankle = JointField()
    shoulder = JointField(HIP_PARTS[:2])
    elbow = JointField()

    @post_load
    def _pose(self, data, **kwargs):
        return make_pose(data)


def _angle(value) -> Angle:
    return Angle(**value) if isinstance(value, dict) else Angle(flex=float(value))


def make_pose(data: dict) -> Pose:
    """A pose from its position's defaults, overridden by what the pose gives for both sides, then per side."""
    base = POSITIONS[data["position"]]
    sides = {}
    for side in ("right", "left"):
        joints: dict = {}
        for layer in (base, base.get(side, {}), data, data.get(side) or {}):
            joints.update({j: layer[j] for j in JOINTS if j in layer})
        sides[side] = Side(hip=_angle(joints.get("hip", 0)), knee=float(joints.get("knee", 0)),
                           ankle=float(joints.get("ankle", 0)), shoulder=_angle(joints.get("shoulder", 0)),
                           elbow=float(joints.get("elbow", 0)))
    return Pose(position=data["position"], lean=base.get("lean", 0) + data.get("lean", 0), turn=data.get("turn", 0.0), tilt=data.get("tilt", 0.0),
                spine=data.get("spine", 0.0), neck=data.get("neck", 0.0), side=bool(base.get("side")), **sides)


class PropSchema(_Strict):
    prop = fields.String(required=True, validate=validate.OneOf(tuple(PROP_KINDS)))
    at = fields.String(required=True, validate=validate.OneOf(POINTS))
    size = fields.List(fields.Float(validate=validate.Range(min=0.005, max=3)), validate=validate.Length(equal=3))
    offset = fields.List(fields.Float(validate=validate.Range(min=-2, max=2)), validate=validate.Length(equal=3))

    @post_load
    def _prop(self, data, **kwargs):
        return Prop(data["prop"], data["at"], tuple(data["size"]) if "size" in data else None,
                    tuple(data.get("offset") or (0.0, 0.0, 0.0)))


class ViewField(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value in VIEWS:
            return VIEWS[value]
        if isinstance(value, dict) and set(value) <= {"yaw", "pitch"}:
            try:
                yaw, pitch = float(value.get("yaw", 0)), float(value.get("pitch", 0))
            except (TypeError, ValueError):
                raise ValidationError("yaw and pitch are angles in degrees") from None
            if not (-180 <= yaw <= 180 and 0 <= pitch <= 90):
                raise ValidationError("yaw is between -180 and 180 degrees, pitch between 0 and 90")
            return (yaw, pitch)
        raise ValidationError(f"one of {', '.join(VIEWS)}, or {{yaw: degrees, pitch: degrees}}")


class FigureSchema(_Strict):
    view = ViewField(load_default=VIEWS["side"])
    anchor = fields.String(load_default="pelvis", validate=validate.OneOf(POINTS))
    props = fields.List(fields.Nested(PropSchema), load_default=list, validate=validate.Length(max=6))
    moves = fields.List(fields.String(validate=validate.OneOf(POINTS)), load_default=list,
                        validate=validate.Length(max=3))
    start = fields.Nested(PoseSchema)
    end = fields.Nested(PoseSchema)
    svg = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_./-]+\.svg$",
                                                 error="a .svg file next to the ruleset file, e.g. figures/curl.svg"))

    @validates_schema
    def _poses_or_file(self, data, **kwargs):
        if "svg" in data:
            if any(k in data for k in ("start", "end")) or data.get("props") or data.get("moves"):
                raise ValidationError("a figure is either an svg file or poses (start, end, props), not both", "svg")
            if ".." in data["svg"].split("/") or data["svg"].startswith("/"):
                raise ValidationError("the svg file is inside the ruleset's folder", "svg")
        elif not ("start" in data and "end" in data):
            raise ValidationError("a figure needs a start and an end pose (or an svg file)", "start")

    @post_load
    def _figure(self, data, **kwargs):
        return Figure(start=data.get("start"), end=data.get("end"), view=data["view"], props=tuple(data["props"]),
                      moves=tuple(data["moves"]), anchor=data["anchor"], svg_file=data.get("svg"))


__all__ = ["FigureSchema", "PoseSchema", "make_pose"]
