"""A picture of every exercise (issue 21 §4): every exercise of the installed catalogue has a figure, drawn
as well-formed SVG titled with its name (in the reader's language) and no other text; it stands beside the
steps of the HTML handout and on the CarePlan activity of the FHIR export; a plugin gives its exercises
poses or an SVG file of its own (checked as it loads), and lint warns about an exercise without one."""
from __future__ import annotations

import base64
import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import decision_core
from decision_core.adapters.reports import render
from decision_core.catalogue.loading import RulesetError, load_ruleset_file
from decision_core.figures import MEDIA_TYPE, exercise_figure, render as draw
from decision_core.figures.model import POSITIONS, PROP_KINDS, Figure
from decision_core.figures.schema import FigureSchema
from decision_core.fhir.codes import EXERCISE_FIGURE_EXTENSION
from decision_core.installation import DecisionCore, default_core
from decision_core.lint.linter import lint_paths
from decision_core.testing import installed_plugin

from test_reports import PUBLIC_CASES, WHEN

SVG = "{http://www.w3.org/2000/svg}"
PLUGINS = Path(__file__).parent / "plugins"
REPO_PLUGIN = Path(__file__).resolve().parent.parent / "plugins" / "hamstring-strength-deficit"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed, or this raises
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return root


def texts(root: ET.Element) -> list[str]:
    """Every piece of text the drawing holds (element text and tails), stripped."""
    return [t.strip() for el in root.iter() for t in (el.text, el.tail) if t and t.strip()]


def exercises(catalogue):
    return [r for r in catalogue.recommendations.values() if r.kind == "exercise"]


def test_every_installed_exercise_has_a_figure_titled_with_its_name_and_no_other_text():
    catalogue = default_core().catalogue
    found = exercises(catalogue)
    assert found, "the catalogue has exercises"
    for rec in found:
        assert rec.figure is not None, f"{rec.id} has no figure"
        svg = exercise_figure(catalogue, rec.id, rec.name)
        root = parsed(svg)
        assert root[0].tag == f"{SVG}title" and root[0].text == rec.name
        assert texts(root) == [rec.name], rec.id  # no ids, no words but its name
        assert rec.id not in svg.replace(rec.name, "")
        width, height = map(float, root.get("viewBox").split()[2:])
        assert 50 < width < 800 and 30 < height < 400, (rec.id, width, height)


def test_a_title_is_escaped_and_only_exercises_have_figures():
    catalogue = default_core().catalogue
    rec = exercises(catalogue)[0]
    root = parsed(exercise_figure(catalogue, rec.id, 'Puente <de> "glúteos" & más'))
    assert root[0].text == 'Puente <de> "glúteos" & más'
    other = next(r for r in catalogue.recommendations.values() if r.kind != "exercise")
    assert exercise_figure(catalogue, other.id, other.name) is None
    assert exercise_figure(catalogue, "no_such_item", "x") is None


ANGLE = st.floats(min_value=-150, max_value=150, allow_nan=False)
POSE = st.fixed_dictionaries({"position": st.sampled_from(sorted(POSITIONS))}, optional={
    "lean": ANGLE, "spine": st.floats(-60, 90), "neck": st.floats(-60, 60), "tilt": st.floats(-45, 45),
    "hip": st.fixed_dictionaries({"flex": ANGLE, "abd": ANGLE, "rot": ANGLE}), "knee": ANGLE, "ankle": ANGLE,
    "shoulder": ANGLE, "elbow": ANGLE, "right": st.fixed_dictionaries({"knee": ANGLE, "hip": ANGLE})})
FIGURE = st.fixed_dictionaries({"start": POSE, "end": POSE}, optional={
    "view": st.one_of(st.sampled_from(["side", "front", "back", "top"]),
                      st.fixed_dictionaries({"yaw": st.floats(-180, 180), "pitch": st.floats(0, 90)})),
    "anchor": st.sampled_from(["pelvis", "feet", "hands", "knee_left", "lower_back"]),
    "moves": st.lists(st.sampled_from(["pelvis", "foot_right", "hands", "knees"]), max_size=2),
    "props": st.lists(st.fixed_dictionaries({"prop": st.sampled_from(sorted(PROP_KINDS)),
                                             "at": st.sampled_from(["pelvis", "toes", "hands", "ankle_right"])}),
                      max_size=3)})


@settings(max_examples=60, deadline=None)
@given(FIGURE)
def test_any_valid_pose_draws_well_formed_svg_with_finite_coordinates_on_its_canvas(data):
    figure = FigureSchema().load(data)
    root = parsed(draw(figure, "Exercise"))
    width, height = map(float, root.get("viewBox").split()[2:])
    assert width > 0 and height > 0
    for el in root.iter():
        for name in ("x1", "y1", "x2", "y2", "cx", "cy", "points", "d"):
            for number in NUMBER.findall(el.get(name) or ""):
                value = float(number)
                assert math.isfinite(value)
                # everything lies on the canvas (an arrow may bow a little past it)
                assert -40 <= value <= max(width, height) + 40, (name, value, width, height)


@pytest.mark.parametrize("figure, message", [
    ({"start": {"position": "floating"}, "end": {"position": "standing"}}, "position"),
    ({"start": {"position": "standing"}}, "start and an end"),
    ({"start": {"position": "standing", "hip": {"flex": 10, "twist": 4}}, "end": {"position": "standing"}}, "twist"),
    ({"start": {"position": "standing", "knee": 400}, "end": {"position": "standing"}}, "180"),
    ({"svg": "../outside.svg"}, "inside"),
    ({"svg": "a.svg", "start": {"position": "standing"}}, "not both"),
    ({"start": {"position": "standing"}, "end": {"position": "standing"}, "props": [{"prop": "sofa", "at": "pelvis"}]},
     "prop"),
])
def test_a_bad_figure_is_a_clear_error_naming_the_field(tmp_path, figure, message):
    path = tmp_path / "recs.yaml"
    item = {"id": "x_ex", "name": "X", "kind": "exercise", "intensity": "gentle", "steps": ["Do it."],
            "sources": ["001"], "figure": figure}
    path.write_text(json.dumps({"ruleset": "x", "version": "1.0.0", "kind": "recommendations", "title": "X",
                                "items": [item]}))
    with pytest.raises(RulesetError) as caught:
        load_ruleset_file(path, "someone")
    text = str(caught.value)
    assert "item x_ex" in text and "figure" in text and message in text, text


def test_only_an_exercise_has_a_figure(tmp_path):
    path = tmp_path / "recs.yaml"
    path.write_text(json.dumps({"ruleset": "x", "version": "1.0.0", "kind": "recommendations", "title": "X", "items": [
        {"id": "x_walk", "name": "Walk", "kind": "lifestyle", "instructions": "Walk.", "sources": ["001"],
         "figure": {"start": {"position": "standing"}, "end": {"position": "standing"}}}]}))
    with pytest.raises(RulesetError, match="only an exercise has a figure"):
        load_ruleset_file(path)


@pytest.mark.parametrize("drawing, why", [
    ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><circle r="4" onload="alert(1)"/></svg>', "onload"),
    ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink"><image x:href="http://e.example/a.png"/></svg>',
     "link out"),
    ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>', "DOCTYPE"),
    ('<svg><circle r="4"/></svg>', "SVG namespace"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><circle r="4">', "well-formed"),
])
def test_a_plugins_svg_file_must_be_a_plain_drawing(tmp_path, drawing, why):
    (tmp_path / "bad.svg").write_text(drawing)
    path = tmp_path / "recs.yaml"
    path.write_text(json.dumps({"ruleset": "x", "version": "1.0.0", "kind": "recommendations", "title": "X", "items": [
        {"id": "x_ex", "name": "X", "kind": "exercise", "intensity": "gentle", "steps": ["Do it."],
         "sources": ["001"], "figure": {"svg": "bad.svg"}}]}))
    with pytest.raises(RulesetError) as caught:
        load_ruleset_file(path, "someone")
    assert why in str(caught.value) and "figure.svg" in str(caught.value)
    assert caught.value.problems[0].code == "bad_figure_file"


def test_a_plugin_gives_its_exercises_poses_or_its_own_svg_and_they_show_in_the_handout():
    with installed_plugin("pictured", source_dir=PLUGINS):
        core = default_core()
        catalogue = core.catalogue
        posed = parsed(exercise_figure(catalogue, "pictured_posed", "Posed"))
        drawn = parsed(exercise_figure(catalogue, "pictured_drawn", "Curl, drawn"))
        assert exercise_figure(catalogue, "pictured_bare", "Bare") is None
    assert texts(posed) == ["Posed"]
    # the plugin's file, with the reader's title in place of its own and nothing of its own title left
    assert drawn[0].tag == f"{SVG}title" and texts(drawn) == ["Curl, drawn"]
    assert drawn.find(f"{SVG}polyline") is not None


def test_lint_warns_about_a_plugins_exercise_without_a_picture_only():
    report = lint_paths([PLUGINS / "pictured" / "rulesets"])
    missing = [i for i in report.issues if i.code == "no_figure"]
    assert [i.rule for i in missing] == ["item pictured_bare"]
    assert all(i.severity == "warning" for i in missing)
    assert not [i for i in report.errors if i.field and i.field.startswith("figure")]  # the figures themselves load


def test_the_repositorys_plugin_has_a_figure_for_each_of_its_exercises():
    report = lint_paths([REPO_PLUGIN / "hamstring_strength_deficit" / "rulesets"])
    assert not [i for i in report.issues if i.code == "no_figure"]
    docs = [load_ruleset_file(p) for p in (REPO_PLUGIN / "hamstring_strength_deficit" / "rulesets").glob("*.yaml")]
    recs = [r for d in docs for r in d.recommendations if r.kind == "exercise"]
    assert recs and all(isinstance(r.figure, Figure) for r in recs)


def test_the_builtin_catalogue_lints_without_an_exercise_lacking_a_picture():
    from decision_core.lint.linter import lint_installed

    assert not [i for i in lint_installed().issues if i.code == "no_figure"]


def handout_cards(html: str) -> list[tuple[str, str]]:
    """(name, figure title) of each exercise card of an HTML handout ('' for a card without a figure)."""
    out = []
    for card in re.findall(r'<article class="exercise">(.*?)</article>', html, flags=re.S):
        name = re.search(r"<h3>\d+\. (.*?)</h3>", card).group(1)
        title = re.search(r'<figure class="picture"><svg [^>]*role="img"[^>]*><title>(.*?)</title>', card)
        out.append((name, title.group(1) if title else ""))
    return out


@pytest.mark.parametrize("case", PUBLIC_CASES)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_each_exercise_of_the_handout_shows_its_figure_titled_in_the_readers_language(case, lang):
    result = decision_core.evaluate(case["facts"]).to_dict()
    html = render(result, "html", generated_at=WHEN, lang=lang).decode()
    cards = handout_cards(html)
    for name, title in cards:  # every exercise card has its picture, titled with its name as the reader reads it
        assert title == name, (name, title)
    if result["programme"] and result["programme"]["phases"] and not result["programme_on_hold"]:
        assert cards, "a programme shows its exercises"
    for svg in re.findall(r'<svg .*?</svg>', html, flags=re.S):
        parsed(svg)


def test_the_fhir_careplan_carries_each_exercises_figure():
    facts = {"sharp_pain": False, "sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True,
             "activity_level": "sedentary"}
    bundle = json.loads(render(decision_core.evaluate(facts).to_dict(), "fhir", generated_at=WHEN, lang="es"))
    plans = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"]
    assert len(plans) == 1
    requests = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    pictured = 0
    for activity in plans[0]["activity"]:
        if "reference" not in activity:
            continue
        request = requests[activity["reference"]["reference"]]
        name = request["code"]["text"]
        [ext] = [x for x in activity["extension"] if x["url"] == EXERCISE_FIGURE_EXTENSION]
        attachment = ext["valueAttachment"]
        assert attachment["contentType"] == MEDIA_TYPE and attachment["language"] == "es"
        assert attachment["title"] == name
        root = parsed(base64.b64decode(attachment["data"]).decode("utf-8"))
        assert root[0].text == name
        pictured += 1
    assert pictured >= 1


def test_figures_are_the_same_on_every_load():
    """The drawing is a pure function of the data: two installations draw the same bytes."""
    a, b = DecisionCore.load().catalogue, DecisionCore.load().catalogue
    for rec in exercises(a):
        assert exercise_figure(a, rec.id, rec.name) == exercise_figure(b, rec.id, rec.name)
