"""The safety policy (domain.md §2a) as properties over generated cases, on both
engines and through every output format: the whole result obeys it.

The checks are written from the contract, not from the policy file: they name
the tags the contract speaks of (exercise, stretch, soft-tissue work, loaded
lifts) and the facts that trigger each rule, so a policy line that went
missing or a report that let withheld text back in would fail them.
"""
from __future__ import annotations

import html as html_lib
import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from decision_core.adapters.http.cards import build_card
from decision_core.adapters.reports import render
from decision_core.policy.safety import withholding_line

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
FORMAT_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
ON_HOLD_TAGS = {"exercise", "stretch", "movement", "soft_tissue", "loaded", "high_impact"}
NOT_A_CLEARANCE = "Nothing in your answers needs a doctor"
RED_FLAG_BOOLS = ("bladder_or_bowel_changes", "calf_swelling_redness", "leg_weakness", "fever_or_unwell",
                  "sharp_pain", "numbness_or_tingling", "night_pain", "unexplained_weight_loss", "popping_sensation",
                  "bruising", "pain_when_walking", "stretching_is_painful", "onset_during_sprint_or_kick")
# seed 004's answer to painful stretching: its dynamic, pain-free stretches (domain.md 2a)
DYNAMIC_ANSWER = ("toe_touch_progression", "supine_alternate_toe_touch", "nerve_flossing")


def risky_facts(catalogue):
    """Valid facts where red flags and the policy's triggers are common, not rare."""
    base = {name: st.none() | st.booleans() for name in RED_FLAG_BOOLS if name in catalogue.facts}
    base["pain_level"] = st.none() | st.integers(0, 10)
    base["onset"] = st.none() | st.sampled_from(["gradual", "sudden"])
    base["stretching_response"] = st.none() | st.sampled_from(["relieves", "temporary", "no_change", "worse"])
    base["pain_locations"] = st.none() | st.lists(st.sampled_from(catalogue.facts["pain_locations"].values),
                                                  unique=True, max_size=3)
    return base


@pytest.fixture(scope="module")
def facts_of(valid_facts):
    """Any valid facts, half the time with the red flags and policy triggers drawn often."""
    def strategy(catalogue):
        risky = st.fixed_dictionaries({}, optional=risky_facts(catalogue))
        return st.one_of(valid_facts(catalogue), st.tuples(valid_facts(catalogue), risky).map(
            lambda pair: {**pair[0], **pair[1]}))
    return strategy


def known(facts, name):
    return facts.get(name) is not None


def tags_of(result):
    return {rec.id: set(rec.tags) for rec in result.recommendations}


def check_result(catalogue, facts, result):
    """Every rule of domain.md §2a, on the typed result."""
    level = result.triage.level
    recs = tags_of(result)
    rank = {lv.id: lv.rank for lv in catalogue.levels}
    avoid = {a.id for a in result.avoid}
    # nothing recommended is contradicted by an active policy line or a raised avoid item
    active = [line for line in catalogue.policy if line.id in {p.id for p in result.policy}]
    for rec in result.recommendations:
        item = catalogue.recommendations[rec.id]
        assert withholding_line(item, active) is None, (rec.id, level)
        for a in result.avoid:
            assert not set(catalogue.avoid[a.id].forbids) & set(rec.tags), (rec.id, a.id)
    # each item once, with one dose
    assert len(recs) == len(result.recommendations)
    assert all(isinstance(r.dose, dict) for r in result.recommendations)
    # urgent and emergency: no exercise, stretch, movement routine or soft-tissue work; the programme is on hold
    if rank[level] >= rank["urgent"]:
        assert not [i for i, t in recs.items() if t & {"exercise", "stretch", "movement", "soft_tissue"}], recs
        assert not [r.id for r in result.recommendations if r.kind == "exercise"]
        assert result.programme_on_hold
    if level == "emergency":
        assert all("emergency_care" in t for t in recs.values()), recs
        # emergency care takes the place of the assessment referral
        assert "emergency_care" in recs and "professional_assessment" not in recs, recs
    # urgent: relative rest for every trigger, with ice and compression only for a suspected strain
    if level == "urgent":
        rest = [i for i in recs if i in ("relative_rest", "relative_rest_ice_compression")]
        assert len(rest) == 1, recs
        assert (rest[0] == "relative_rest_ice_compression") == ("acute_strain" in result.cause_ids), recs
    if "relative_rest_ice_compression" in recs:
        assert "acute_strain" in result.cause_ids
    # sharp pain: no exercise at all, and stretching into pain is avoided
    if facts.get("sharp_pain") is True:
        assert not [r.id for r in result.recommendations if r.kind == "exercise" or "exercise" in r.tags]
        assert "stretching_into_pain" in avoid and result.programme_on_hold
    # a suspected clot is never massaged, rolled or stretched
    if facts.get("calf_swelling_redness") is True:
        assert level == "emergency"
        assert not [i for i, t in recs.items() if t & {"soft_tissue", "stretch"}]
    # a suspected acute strain
    if "acute_strain" in result.cause_ids:
        assert not [i for i, t in recs.items() if t & {"soft_tissue", "stretch", "loaded"}]
        assert "high_intensity_running" in avoid
    # stretching that hurts or makes it worse: no static or hard stretch; the seed's dynamic,
    # pain-free stretches stay, each with its stop rule, unless a stronger line withholds them
    if facts.get("stretching_is_painful") is True or facts.get("stretching_response") == "worse":
        assert not [i for i, t in recs.items() if t & {"static_stretch", "aggressive_stretch"}], recs
        stronger = (rank[level] >= rank["see_professional"] or facts.get("sharp_pain") is True
                    or {"acute_strain", "proximal_tendinopathy"} & set(result.cause_ids))
        for w in result.withheld:
            if w.id in DYNAMIC_ANSWER:
                assert stronger, (w.id, w.policy, level)
    for rec in result.recommendations:
        if rec.id in DYNAMIC_ANSWER:
            assert rec.stop_if and "back off" in rec.stop_if.text
            assert any("NO PAIN" in (c.quote or "") for c in rec.stop_if.citations)
    # in pain: no high-intensity running
    if known(facts, "pain_level") and facts["pain_level"] >= 7:
        assert "high_intensity_running" in avoid
    # loaded lifts are for the pain-free, and say so
    if (known(facts, "pain_level") and facts["pain_level"] >= 3) or facts.get("sharp_pain") is True:
        assert not [i for i, t in recs.items() if "loaded" in t]
    for rec in result.recommendations:
        if "loaded" in rec.tags:
            assert "pain-free" in rec.instructions and "weight training" in rec.instructions
    # tendinopathy: no hamstring stretch of any kind
    if "proximal_tendinopathy" in result.cause_ids:
        assert not [i for i, t in recs.items() if "hamstring_stretch" in t]
    # the referral leads at see_professional and above
    if rank[level] >= rank["see_professional"]:
        assert result.recommendations and result.recommendations[0].kind == "referral", result.recommendation_ids
        assert result.recommendations[0].leads
    # the programme on hold: no cause gives its fix
    if result.programme_on_hold:
        assert all(c.fix is None for c in result.causes)
    # unknown is not "no": open red-flag questions are named, and self-care is no clearance then
    if result.open_safety_questions:
        assert not result.triage.confirmed and NOT_A_CLEARANCE not in result.triage.advice
        for q in result.open_safety_questions:
            assert not known(facts, q.fact) and q.question
    unknown_red_flags = [n for n, f in catalogue.facts.items() if f.red_flag and not known(facts, n)]
    if level == "self_care" and unknown_red_flags and any(
            not known(facts, n) for n in ("bladder_or_bowel_changes", "calf_swelling_redness")):
        assert result.open_safety_questions
    # a cause is listed only on a strong signal
    for cause in result.causes:
        assert any(e.strength == "strong" for e in cause.evidence), cause.id


@pytest.mark.parametrize("engine", ["durable", "plain"])
@SETTINGS
@given(data=st.data())
def test_every_result_obeys_the_safety_policy(data, engine, builtin_evaluators, facts_of):
    evaluator = builtin_evaluators[engine]
    facts = data.draw(facts_of(evaluator.catalogue))
    check_result(evaluator.catalogue, facts, evaluator.evaluate(facts))


# ----------------------------------------------------------------- every format


def _normal(text: str) -> str:
    return " ".join(text.split())


def forbidden_texts(catalogue, result):
    """What must not reach a patient while the programme is on hold: every exercise-like item
    (its name and its instructions) and every cause's fix."""
    texts = []
    for item in catalogue.recommendations.values():
        if item.policy_tags & ON_HOLD_TAGS:
            texts.append(item.name)
            texts.append(_normal(item.instructions)[:60])
    texts += [_normal(c.fix)[:60] for c in catalogue.causes.values() if c.fix]
    return texts


def human_texts(result, with_pdf: bool, catalogue):
    """Each human-readable rendering of a result, as plain text."""
    shown = catalogue.shown_level(result.triage.level).presentation
    out = {
        "markdown": render(result, "markdown").decode(),
        "text": render(result, "text").decode(),
        "html": html_lib.unescape(re.sub(r"<[^>]+>", " ", render(result, "html").decode())),
        "cds card": build_card(result, {}, {"label": "L"}, None, shown)["detail"].replace("\\", ""),
    }
    if with_pdf:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(render(result, "pdf")))
        out["pdf"] = " ".join(page.extract_text() for page in reader.pages)
    return {name: _normal(text) for name, text in out.items()}


def check_formats(catalogue, result, with_pdf=False):
    data = json.loads(render(result, "json"))
    assert [r["id"] for r in data["recommendations"]] == result.recommendation_ids
    bundle = json.loads(render(result, "fhir"))
    actions = [a for e in bundle["entry"] if e["resource"]["resourceType"] == "RequestGroup"
               for a in e["resource"].get("action", [])]
    action_ids = [c["code"] for a in actions for cc in a.get("code", []) for c in cc.get("coding", [])
                  if c.get("system", "").endswith(":recommendation")]
    assert set(action_ids) <= set(result.recommendation_ids)
    texts = human_texts(result, with_pdf, catalogue)
    if result.programme_on_hold:
        assert not [r for r in data["recommendations"] if r["kind"] == "exercise"]
        assert all(c["fix"] is None for c in data["causes"])
        for forbidden in forbidden_texts(catalogue, result):
            for name, text in texts.items():
                assert forbidden not in text, (name, forbidden)
            assert forbidden not in json.dumps([a for a in actions], ensure_ascii=False), ("fhir", forbidden)
    if result.open_safety_questions:
        for name, text in texts.items():
            assert NOT_A_CLEARANCE not in text, name
    if result.recommendations and result.recommendations[0].leads:
        first = result.recommendations[0].name
        for name, text in texts.items():
            if name == "cds card":
                continue
            others = [r.name for r in result.recommendations[1:] if r.name in text]
            assert all(text.index(first) < text.index(o) for o in others), (name, first, others)


@pytest.mark.parametrize("engine", ["durable", "plain"])
@FORMAT_SETTINGS
@given(data=st.data())
def test_every_format_obeys_the_safety_policy(data, engine, builtin_evaluators, facts_of):
    evaluator = builtin_evaluators[engine]
    facts = data.draw(facts_of(evaluator.catalogue))
    check_formats(evaluator.catalogue, evaluator.evaluate(facts))


@pytest.mark.parametrize("facts", [
    {"sharp_pain": True, "pain_level": 4, "sitting_hours_per_day": 10, "uses_standing_desk": False,
     "glute_bridge_hamstring_cramp": True},
    {"leg_weakness": True, "glute_bridge_hamstring_cramp": True, "sitting_hours_per_day": 10,
     "uses_standing_desk": False, "strength_training_focus": "quads"},
    {"calf_swelling_redness": True, "recent_training_increase": True, "sports": ["running"],
     "previous_hamstring_injury": True},
    {"onset": "sudden", "popping_sensation": True, "bruising": True, "pain_locations": ["sit_bone"],
     "pain_level": 5, "sitting_hours_per_day": 9, "glute_bridge_hamstring_cramp": True},
    {"fever_or_unwell": True, "pain_locations": ["sit_bone", "buttock"], "hip_rotation_restricted": True},
    {"numbness_or_tingling": True, "glute_bridge_hamstring_cramp": True, "sitting_hours_per_day": 9},
    {},
], ids=["sharp-pain", "urgent-weakness", "clot", "tear-without-sprint", "fever", "see-professional", "nothing"])
def test_the_pdf_obeys_the_safety_policy(builtin_evaluators, facts):
    evaluator = builtin_evaluators["durable"]
    result = evaluator.evaluate(facts)
    check_result(evaluator.catalogue, facts, result)
    check_formats(evaluator.catalogue, result, with_pdf=True)


def test_the_format_checks_can_fail(builtin_evaluators):
    # guards the checks above: an exercise slipped into a held programme is caught in the reports
    evaluator = builtin_evaluators["durable"]
    held = evaluator.evaluate({"leg_weakness": True, "glute_bridge_hamstring_cramp": True})
    assert held.programme_on_hold
    free = evaluator.evaluate({"glute_bridge_hamstring_cramp": True})
    held.causes = free.causes  # their fix texts come back
    with pytest.raises(AssertionError):
        check_formats(evaluator.catalogue, held)
    with pytest.raises(AssertionError):
        check_result(evaluator.catalogue, {"leg_weakness": True}, held)
