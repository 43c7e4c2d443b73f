"""Report formats: every format renders every public worked case with the default
evaluator, and says the right things (triage, causes, programme, no exercises at
urgent or emergency). PDF and FHIR have their own files."""
from __future__ import annotations

import html as html_lib
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from decision_core.adapters.reports.saved_dose import read_dose
from decision_core.catalogue.dose import figure_texts

import decision_core
from decision_core.adapters.reports import InvalidResult, ReportError, UnknownFormat, available_formats, get_format, render
from decision_core.adapters.reports.view import build_view
from decision_core.installation import default_core

PUBLIC = Path(__file__).resolve().parent.parent.parent / "shared" / "vignettes" / "public.json"
BUILTIN_FORMATS = ("json", "markdown", "text", "html", "pdf", "fhir")
READABLE = ("markdown", "text", "html")
WHEN = datetime(2025, 3, 4, 9, 30, tzinfo=timezone.utc)
ACUTE = ("urgent", "emergency")


def load_public_cases() -> list:
    if not PUBLIC.is_file():
        return [pytest.param(None, id="no-public-cases",
                             marks=pytest.mark.skip(reason=f"{PUBLIC} is absent (shared/ sits next to the repository)"))]
    return [pytest.param(case, id=case["id"]) for case in json.loads(PUBLIC.read_text(encoding="utf-8"))["cases"]]


PUBLIC_CASES = load_public_cases()
# Urgent and emergency cases whose causes would otherwise bring exercises: the result withholds them,
# and the report must not name them.
ACUTE_WITH_WITHHELD = {
    "urgent-strain-and-sleepy-glutes": {"onset": "sudden", "onset_during_sprint_or_kick": True, "popping_sensation": True,
                                        "glute_bridge_hamstring_cramp": True, "sitting_hours_per_day": 10,
                                        "uses_standing_desk": False},
    "emergency-and-sleepy-glutes": {"bladder_or_bowel_changes": True, "glute_bridge_hamstring_cramp": True,
                                    "sitting_hours_per_day": 10, "uses_standing_desk": False},
}


def result_for(facts: dict) -> dict:
    return decision_core.evaluate(facts).to_dict()


def as_text(fmt: str, data: bytes) -> str:
    """The human-visible text of a rendering, whitespace collapsed (HTML tags and entities removed)."""
    text = data.decode("utf-8")
    if fmt == "html":
        text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
        text = html_lib.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(text.split())


def level_label(result: dict) -> str:
    """The level as the patient part names it (its ruleset name; upper case in the text format)."""
    return result["triage"]["name"]


def banner_line(text: str, result: dict) -> str:
    """The text format's triage banner: the line naming the level, right after the first rule."""
    lines = text.splitlines()
    return lines[lines.index("-" * 78) + 1]


def programme_table(html: str) -> str:
    match = re.search(r'<table class="prog stack">.*?</table>', html, flags=re.S)
    return match.group(0) if match else ""


# ------------------------------------------------------------------ registry


def test_every_builtin_format_is_a_plugin_registration():
    formats = default_core().formats
    for name in BUILTIN_FORMATS:
        assert formats[name].plugin == "decision_core.adapters.reports.plugin"
    assert set(BUILTIN_FORMATS) <= set(available_formats())
    assert get_format("pdf").binary and get_format("pdf").media_type == "application/pdf"
    assert get_format("fhir").media_type == "application/fhir+json"
    assert "report" in default_core().commands


def test_unknown_format_lists_the_available_ones():
    with pytest.raises(UnknownFormat) as err:
        render(result_for({}), "docx")
    message = str(err.value)
    assert "docx" in message
    for name in BUILTIN_FORMATS:
        assert name in message


def test_render_refuses_what_is_not_a_result():
    with pytest.raises(InvalidResult, match="error object"):
        render({"error": "invalid_facts", "message": "The facts are not valid."}, "html")
    with pytest.raises(InvalidResult, match="missing"):
        render({"triage": {"level": "self_care"}}, "text")
    with pytest.raises(InvalidResult):
        render(["not", "a", "result"], "markdown")


def test_bad_options_are_clear_errors():
    result = result_for({})
    with pytest.raises(ReportError, match="paper"):
        render(result, "html", paper="a3")
    with pytest.raises(ReportError, match="generated_at"):
        render(result, "text", generated_at="yesterday")


def test_render_takes_a_result_object_or_its_dict_and_returns_bytes():
    result = decision_core.evaluate({"sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True})
    from_object = render(result, "text", generated_at=WHEN)
    from_dict = render(result.to_dict(), "text", generated_at=WHEN)
    assert isinstance(from_object, bytes) and from_object == from_dict


# ------------------------------------------------------------------ every public case, every format


@pytest.mark.parametrize("fmt", [f for f in BUILTIN_FORMATS if f != "pdf"])
@pytest.mark.parametrize("case", PUBLIC_CASES)
def test_public_case_renders_with_its_content(case, fmt):
    result = result_for(case["facts"])
    expected_level = case["expect"].get("triage")
    if expected_level:
        assert result["triage"]["level"] == expected_level, "the evaluator disagrees with the worked case"
    data = render(result, fmt, generated_at=WHEN)
    assert isinstance(data, bytes) and data

    if fmt == "json":
        assert json.loads(data) == json.loads(json.dumps(result))
        return
    if fmt == "fhir":
        return  # checked in test_reports_fhir.py
    text = as_text(fmt, data)
    assert level_label(result).lower() in text.lower()
    assert result["triage"]["advice"].split(".")[0] in text
    for cause in result["causes"]:
        assert cause["name"] in text
        for evidence in cause["evidence"]:
            assert " ".join(evidence["because"].split()) in text
    for rec in result["recommendations"]:
        assert rec["name"] in text
    for item in result["avoid"]:
        assert item["name"] in text
    for ruleset in result["rulesets"]:
        assert ruleset["id"] in text
    assert result["disclaimer"] in text
    for question in result["next_questions"]:
        assert question["fact"] in text
    if result["triage"]["level"] in ACUTE:
        assert "What to do now" in text or "WHAT TO DO NOW" in text or "emergency care" in text.lower()
        assert "on hold" in text.lower()
        assert "your exercises" not in text.lower()
    else:
        assert "programme" in text.lower()


@pytest.mark.parametrize("case", PUBLIC_CASES)
def test_each_exercise_has_its_full_dose_or_a_marked_blank_and_numbered_steps(case):
    result = result_for(case["facts"])
    html = render(result, "html", generated_at=WHEN).decode()
    cards = re.findall(r'<article class="exercise">.*?</article>', html, flags=re.S)
    # the patient part shows the programme's exercises (issue 19), each with the programme's dose
    recs = {r["id"]: r for r in result["recommendations"]}
    chosen = [item for phase in result["programme"]["phases"] for item in phase["items"]]
    exercises = [dict(recs[i["id"]], dose=i["dose"]) for i in chosen]
    if result["triage"]["level"] in ACUTE or not exercises:
        assert not cards and 'class="sheet"' not in html
        return
    assert len(cards) == len(exercises)
    for card, rec in zip(cards, exercises):
        text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", card)).split())
        assert rec["name"] in text
        dose = read_dose(rec["dose"])
        assert not dose.missing("exercise"), "every exercise of the programme has a full dose"
        for figure in figure_texts(dose).values():
            assert figure in text, f"{rec['id']}: {figure} missing"
        # sets, how much each set and how often: a figure or a line to write on, never a dash
        assert len(re.findall(r"<dt>", card)) >= 3
        assert card.count('class="blank"') == len(dose.missing("exercise"))
        assert ">\u2013<" not in card and ">-<" not in card
        assert re.search(r'<ol class="steps">\s*<li>', card), "numbered steps"
        assert "_" not in rec["id"] or rec["id"] not in text, "no engine id in the patient part"
    sheet = re.search(r'<table class="sheet">.*?</table>', html, flags=re.S).group(0)
    assert len(re.findall(r'<tr><th scope="row">', sheet)) == len(exercises)


@pytest.mark.parametrize("case", PUBLIC_CASES)
def test_worked_case_expectations_show_in_the_handout(case):
    expect = case["expect"]
    result = result_for(case["facts"])
    text = as_text("html", render(result, "html", generated_at=WHEN))
    names = {r["id"]: r["name"] for r in result["recommendations"]}
    for rec_id in expect.get("recommend", []):
        assert names[rec_id] in text
    avoid_names = {a["id"]: a["name"] for a in result["avoid"]}
    for avoid_id in expect.get("avoid", []):
        assert avoid_names[avoid_id] in text
    cause_names = {c["id"]: c["name"] for c in result["causes"]}
    for cause_id in expect.get("causes_top", []):
        assert cause_names[cause_id] in text


# ------------------------------------------------------------------ triage shapes every format


@pytest.mark.parametrize("name", sorted(ACUTE_WITH_WITHHELD))
def test_acute_reports_name_no_withheld_exercise(name):
    result = result_for(ACUTE_WITH_WITHHELD[name])
    assert result["triage"]["level"] in ACUTE
    withheld = [w for w in result["withheld"] if w["kind"] == "exercise"]
    assert withheld, "this case is meant to have exercises withheld"
    for fmt in ("markdown", "text", "html", "fhir"):
        raw = render(result, fmt, generated_at=WHEN).decode()
        visible = as_text(fmt, raw.encode())
        for item in withheld:
            assert item["name"] not in visible, f"{fmt} names the withheld exercise {item['name']}"
            assert not re.search(rf"(?<!\w){item['id']}(?!\w)", raw), f"{fmt} carries the withheld exercise id {item['id']}"
        assert "your programme" not in visible.lower()
        count = len(withheld)
        if fmt == "fhir":
            outputs = next(e["resource"] for e in json.loads(raw)["entry"]
                           if e["resource"]["resourceType"] == "Parameters")
            assert {"name": "exercises_withheld", "valueInteger": count} in outputs["parameter"]
        else:
            assert f"{count} exercise item" in visible


def test_an_exercise_that_slips_through_at_urgent_is_still_left_out(caplog):
    result = result_for(ACUTE_WITH_WITHHELD["urgent-strain-and-sleepy-glutes"])
    slipped = {"id": "glute_bridge", "name": "Glute bridge", "kind": "exercise", "dose": {"sets": 3, "reps": "10"},
               "instructions": "Lift your hips.", "for_causes": ["underactive_glutes"], "reasons": [], "sources": ["000"]}
    result["recommendations"] = result["recommendations"] + [slipped]
    for fmt in ("markdown", "text", "html", "fhir"):
        assert "Glute bridge" not in render(result, fmt, generated_at=WHEN).decode()
    assert "glute_bridge" in caplog.text


def test_emergency_handout_leads_with_the_advice():
    result = result_for({"bladder_or_bowel_changes": True, "sitting_hours_per_day": 10})
    assert result["triage"]["level"] == "emergency"
    for fmt in READABLE:
        text = as_text(fmt, render(result, fmt, generated_at=WHEN))
        advice = " ".join(result["triage"]["advice"].split())
        banner_at = text.lower().index(result["triage"]["name"].lower())
        assert text.index(advice) < text.index("What may be going on" if fmt != "text" else "WHAT MAY BE GOING ON")
        assert banner_at < 400, "the triage banner comes first, after who the handout is for"


def test_self_care_html_shows_what_was_left_out_and_why():
    # anterior pelvic tilt withholds the gentle hamstring stretch (it would work against that cause)
    facts = {"lumbar_gap_hand_fits": True, "standing_posture": "butt_and_belly_out", "sitting_hours_per_day": 10,
             "glute_bridge_hamstring_cramp": True, "uses_standing_desk": False}
    result = result_for(facts)
    if not result["withheld"]:
        pytest.skip("the built-in rulesets withhold nothing for this case")
    text = as_text("html", render(result, "html", generated_at=WHEN))
    assert "Left out on purpose" in text
    for item in result["withheld"]:
        assert item["name"] in text and item["reason"] in text


# ------------------------------------------------------------------ html is self-contained and print-ready


def test_html_is_self_contained_and_print_ready():
    result = result_for({"sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True})
    html = render(result, "html", generated_at=WHEN).decode()
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    style = re.search(r"<style>(.*?)</style>", html, flags=re.S).group(1)
    assert '"DejaVu Sans"' in style and "&#34;" not in style, "the CSS must be inlined unescaped"
    assert "@page" in style and "counter(pages)" in style
    assert "@media screen and (max-width" in style, "a phone layout"
    assert '<meta name="viewport"' in html
    assert 'class="triage triage-self_care unconfirmed"' in html  # red-flag questions are open: no green
    letter = render(result, "html", paper="letter").decode()
    assert "@page { size: letter; }" in letter


def test_text_report_fits_a_terminal():
    result = result_for({"sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True, "activity_level": "sedentary"})
    text = render(result, "text", generated_at=WHEN).decode()
    assert max(len(line) for line in text.splitlines()) <= 78
    # red-flag questions are open: no tick, and the open red flags are named as a checklist
    assert banner_line(text, result).startswith("? SELF-CARE AT HOME")
    assert result["open_red_flags"] and "Nothing in your answers needs a doctor" not in text
    assert "If any of these is true, do not start" in text
    view = build_view(result, generated_at=WHEN)
    shown = [q for g in view.red_flags for q in g.questions]
    assert shown and view.red_flags_also, "yes/no red flags ticked, the others to answer"
    for line in shown + [view.red_flags_also]:
        assert line in " ".join(text.split())


def test_self_care_gets_its_tick_only_when_every_red_flag_is_answered(builtin_catalogue):
    no_red_flags = {name: False for name, f in builtin_catalogue.facts.items() if f.red_flag and f.type == "bool"}
    facts = {**no_red_flags, "sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True, "pain_level": 2,
             "onset": "gradual", "pain_locations": ["back_of_thigh"], "stretching_response": "relieves",
             "tightness_duration_weeks": 4}
    result = result_for(facts)
    assert result["open_safety_questions"] == [] and result["triage"]["confirmed"]
    text = render(result, "text", generated_at=WHEN).decode()
    assert banner_line(text, result).startswith("\u2713 SELF-CARE AT HOME")
    assert "Safety questions still open" not in text


def test_markdown_table_cells_escape_pipes_and_line_breaks():
    result = result_for({"sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True})
    exercises = [r for r in result["recommendations"] if r["kind"] == "exercise"]
    assert exercises
    exercises[0]["name"] = "Lift | hold\nthen lower"
    md = render(result, "markdown", generated_at=WHEN).decode()
    header = next(line for line in md.splitlines() if line.startswith("| Exercise"))
    row = next(line for line in md.splitlines() if "Lift" in line and line.startswith("|"))
    unescaped_pipes = lambda line: len(re.findall(r"(?<!\\)\|", line))  # noqa: E731
    assert unescaped_pipes(row) == unescaped_pipes(header)
    assert "Lift \\| hold then lower" in row


def test_sources_are_titled_in_every_readable_format():
    result = result_for({"sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True})
    view = build_view(result)
    assert view.sources and all(s.title != "(no title on file)" for s in view.sources)
    # titles and publishers are the catalogue's source registry (rulesets/sources.yaml), not adapter data
    registry = default_core().catalogue.sources
    assert [(s.title, s.publisher) for s in view.sources] == [(registry[s.id].title, registry[s.id].publisher)
                                                              for s in view.sources]
    for fmt in READABLE:
        text = as_text(fmt, render(result, fmt, generated_at=WHEN))
        for source in view.sources:
            assert source.title in text


def test_mini_catalogue_results_render_in_every_format(mini_evaluators):
    # Engine-independent: a result from the fixture catalogue (its own causes, levels and sources).
    result = mini_evaluators["plain"].evaluate({"sitting": 9, "cramp": True, "places": ["c"]}).to_dict()
    assert result["triage"]["level"] == "see_professional"
    for fmt in BUILTIN_FORMATS:
        data = render(result, fmt, generated_at=WHEN)
        if fmt in READABLE:
            text = as_text(fmt, data)
            assert result["triage"]["name"].lower() in text.lower() and "Sleepy glutes" in text and "Bridge" in text
            assert "Squat" in text, "at see_professional the withheld list is shown with its reason"


def test_concurrent_renders_keep_each_patient_to_their_own_report():
    from concurrent.futures import ThreadPoolExecutor

    facts = [{"sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True},
             {"lumbar_gap_hand_fits": True, "standing_posture": "butt_and_belly_out"},
             ACUTE_WITH_WITHHELD["urgent-strain-and-sleepy-glutes"],
             {"bladder_or_bowel_changes": True}]
    results = [result_for(f) for f in facts]
    expected = {(i, fmt): render(r, fmt, generated_at=WHEN) for i, r in enumerate(results) for fmt in READABLE}
    jobs = [(i, fmt) for i, fmt in expected] * 6
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda job: render(results[job[0]], job[1], generated_at=WHEN), jobs))
    for job, data in zip(jobs, got):
        assert data == expected[job], f"case {job[0]} in {job[1]} changed under concurrency"
