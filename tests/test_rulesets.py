"""Unit tests of the built-in rulesets, one case per rule, generated from the
catalogue so that new rules are covered automatically; then hand-written
clinical expectations from domain.md."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from decision_core.catalogue.loading import builtin_rulesets_dir, load_builtin_catalogue, ruleset_files
from decision_core.evaluation.scoring import conclude

# Collected from the catalogue itself: a broken catalogue fails collection loudly.
CATALOGUE = load_builtin_catalogue() if ruleset_files(builtin_rulesets_dir()) else None
SOURCE = re.compile(r"^(\d{3}|policy)$")


def _rules(predicate):
    if CATALOGUE is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no built-in ruleset files yet"))]
    return [pytest.param(r, id=r.id) for r in CATALOGUE.rules if predicate(r)]


def _cause_rules(strength):
    return _rules(lambda r: r.then.kind == "cause" and r.strength == strength)


@pytest.fixture(scope="module")
def durable(builtin_evaluators):
    return builtin_evaluators["durable"]


@pytest.fixture(scope="module")
def seeds():
    """The seed prefixes in ../shared/seeds, or None where that folder is not there (a bare clone):
    then sources are only checked for their form, and test_catalogue checks them against the seeds."""
    folder = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
    return {p.name[:3] for p in folder.glob("*.txt")} or None


def cites_seeds(sources, seeds) -> bool:
    """Every source is a seed (or the product's own safety policy)."""
    seeds_or_policy = None if seeds is None else seeds | {"policy"}
    return bool(sources) and all(SOURCE.match(s) for s in sources) and \
        (seeds_or_policy is None or set(sources) <= seeds_or_policy)


def _strong_rule_for(cause_id, avoiding=()):
    for r in CATALOGUE.rules:
        if r.then.kind == "cause" and r.then.target == cause_id and r.strength == "strong" and r.id not in avoiding:
            return r
    return None


def _with_a_strong_rule(rule, satisfy):
    """(facts of a strong rule of the same cause, those plus the facts of ``rule``), or (None, None)."""
    for strong in CATALOGUE.rules:
        if strong.then.kind == "cause" and strong.then.target == rule.then.target and strong.strength == "strong":
            base = satisfy(CATALOGUE, strong)
            combined = _merge(base, satisfy(CATALOGUE, rule))
            if combined is not None and combined != base:  # the strong rule's facts alone must not fire it
                return base, combined
    return None, None


def _merge(*fact_sets):
    """Facts that satisfy every set at once, or None if two disagree."""
    merged: dict = {}
    for facts in fact_sets:
        if facts is None:
            return None
        for k, v in facts.items():
            if k in merged and merged[k] != v:
                if isinstance(v, list) and isinstance(merged[k], list):
                    merged[k] = sorted(set(merged[k]) | set(v))
                    continue
                return None
            merged[k] = v
    return merged


def _evidence(result, rule_id):
    for group in (result.causes, ):
        for cause in group:
            for e in cause.evidence:
                if e.rule == rule_id:
                    return cause, e
    return None, None


# ------------------------------------------------------------ cause rulesets


def test_every_cause_has_a_ruleset_with_strong_rules():
    if CATALOGUE is None:
        pytest.skip("no built-in ruleset files yet")
    for cause_id, cause in CATALOGUE.causes.items():
        assert _strong_rule_for(cause_id), f"{cause_id} has no strong rule"
        assert cause.sources and all(SOURCE.match(s) for s in cause.sources)


@pytest.mark.parametrize("rule", _cause_rules("strong"))
def test_a_strong_rule_lists_its_cause_on_its_own(rule, durable, satisfy, seeds):
    facts = satisfy(CATALOGUE, rule)
    assert facts is not None, f"no facts can fire {rule.id}"
    result = durable.evaluate(facts)
    assert rule.id in result.fired_rules
    assert rule.then.target in result.cause_ids, (facts, result.cause_ids)
    cause, evidence = _evidence(result, rule.id)
    assert cause.id == rule.then.target
    # the evidence cites the fact (and its value as given), the rule, the reason and the seeds
    assert evidence.fact in facts and evidence.value == durable.validate(facts)[evidence.fact]
    assert {c.subject for c in rule.fact_conditions} <= set(evidence.facts)
    assert evidence.because == rule.because and evidence.strength == "strong"
    assert evidence.sources == list(rule.sources) and cites_seeds(rule.sources, seeds)
    assert set(rule.sources) <= set(cause.sources)
    assert cause.confidence > 0


@pytest.mark.parametrize("rule", _cause_rules("supporting"))
def test_a_supporting_rule_raises_the_confidence(rule, durable, satisfy, seeds):
    assert cites_seeds(rule.sources, seeds)
    alone = durable.evaluate(satisfy(CATALOGUE, rule))
    assert rule.id in alone.fired_rules
    base, combined = _with_a_strong_rule(rule, satisfy)
    assert combined is not None, f"{rule.id} cannot hold together with any strong rule of {rule.then.target}"
    before = next(c for c in durable.evaluate(base).causes if c.id == rule.then.target)
    after_result = durable.evaluate(combined)
    after = next(c for c in after_result.causes if c.id == rule.then.target)
    assert after.score > before.score and after.confidence > before.confidence
    _, evidence = _evidence(after_result, rule.id)
    assert evidence.strength == "supporting" and evidence.sources == list(rule.sources)


def _score(evaluator, facts, cause_id):
    """The weight of evidence for a cause, listed or not, from the rules that really fired."""
    result = evaluator.evaluate(facts)
    return conclude(evaluator.compiled, result.facts, result.fired_rules).scores.get(cause_id, 0.0), result


@pytest.mark.parametrize("rule", _cause_rules("against"))
def test_an_against_rule_lowers_the_score(rule, durable, satisfy, seeds):
    assert cites_seeds(rule.sources, seeds)
    # the evidence it weighs against: every positive rule of the cause that can hold with it
    base = {}
    for other in CATALOGUE.rules:
        if other.then.kind == "cause" and other.then.target == rule.then.target and (other.weight or 0) > 0:
            merged = _merge(base, satisfy(CATALOGUE, other), satisfy(CATALOGUE, rule))
            if merged is not None:
                base = _merge(base, satisfy(CATALOGUE, other))
    assert base, f"{rule.id} cannot hold together with any evidence for {rule.then.target}"
    before, _ = _score(durable, base, rule.then.target)
    after, result = _score(durable, _merge(base, satisfy(CATALOGUE, rule)), rule.then.target)
    assert before > 0 and rule.id in result.fired_rules
    assert after == pytest.approx(before + rule.weight)
    cause = next((c for c in result.causes if c.id == rule.then.target), None)
    if cause is not None:
        evidence = next(e for e in cause.evidence if e.rule == rule.id)
        assert evidence.strength == "against" and evidence.weight < 0


# ------------------------------------------------------------------ triage


@pytest.mark.parametrize("rule", _rules(lambda r: r.then.kind == "triage"))
def test_a_triage_rule_reaches_its_level(rule, durable, satisfy, seeds):
    facts = satisfy(CATALOGUE, rule)
    assert facts is not None, f"no facts can fire {rule.id}"
    result = durable.evaluate(facts)
    rank = {lv.id: lv.rank for lv in CATALOGUE.levels}
    assert rank[result.triage_level] >= rank[rule.then.target]
    reason = next(r for r in result.triage.reasons if r.rule == rule.id)
    assert reason.level == rule.then.target and reason.because == rule.because
    assert {c.subject for c in rule.fact_conditions} <= set(reason.facts)
    assert reason.sources == list(rule.sources) and cites_seeds(rule.sources, seeds)
    if result.programme_on_hold:
        assert not [r.id for r in result.recommendations if "exercise" in r.tags]


def test_triage_levels_are_the_four_of_the_domain():
    if CATALOGUE is None:
        pytest.skip("no built-in ruleset files yet")
    levels = [lv.id for lv in CATALOGUE.levels]
    assert levels == ["self_care", "see_professional", "urgent", "emergency"]
    # the policy holds the programme from urgent up, and keeps see_professional to gentle work
    holds = {c.subject for line in CATALOGUE.policy if line.hold_programme and "exercise" not in line.allow_only
             for c in line.when if c.op == "triage_at_least"}
    assert {"urgent", "emergency"} <= holds
    assert any(line.max_intensity == "gentle" and [c.text for c in line.when] == ["triage is at least see_professional"]
               for line in CATALOGUE.policy)


# --------------------------------------------------- recommendations and avoid


def _for_causes():
    if CATALOGUE is None:
        return _rules(lambda r: False)
    return [pytest.param(item, cause, id=f"{item.id}-for-{cause}")
            for item in CATALOGUE.recommendations.values() for cause in item.for_causes]


@pytest.mark.parametrize("item, cause", _for_causes())
def test_a_recommendation_is_given_for_each_cause_it_serves(item, cause, durable, satisfy, seeds):
    assert cites_seeds(item.sources, seeds)
    result = durable.evaluate(satisfy(CATALOGUE, _strong_rule_for(cause)))
    assert cause in result.cause_ids
    withheld = {w.id: w for w in result.withheld}
    if item.id in withheld:  # then an active policy line or a raised avoid item says why
        assert withheld[item.id].policy in {p.id for p in result.policy} | {f"avoid.{a.id}" for a in result.avoid}
        assert item.id not in result.recommendation_ids
        return
    rec = next(r for r in result.recommendations if r.id == item.id)
    assert cause in rec.for_causes
    assert rec.dose == item.dose.to_dict() and rec.kind == item.kind
    assert rec.steps == list(item.steps) and rec.dose_value() == item.dose
    assert rec.sources == list(item.sources)


def _facts_for_stratum_two(rule, satisfy):
    """Facts that make a recommendation or avoid rule fire: its causes listed, its triage reached."""
    parts = [satisfy(CATALOGUE, rule)]
    for c in rule.when:
        if c.op == "cause":
            parts.append(satisfy(CATALOGUE, _strong_rule_for(c.subject)))
        elif c.op == "triage_at_least":
            at = CATALOGUE.level(c.subject).rank
            trigger = next(r for r in CATALOGUE.rules if r.then.kind == "triage"
                           and CATALOGUE.level(r.then.target).rank >= at)
            parts.append(satisfy(CATALOGUE, trigger))
    return _merge(*parts)


@pytest.mark.parametrize("rule", _rules(lambda r: r.then.kind in ("avoid", "recommend") and "for" not in r.id.split(".")))
def test_an_explicit_recommendation_or_avoid_rule_fires(rule, durable, satisfy, seeds):
    assert cites_seeds(rule.sources, seeds)
    facts = _facts_for_stratum_two(rule, satisfy)
    assert facts is not None, f"no facts found for {rule.id}"
    result = durable.evaluate(facts)
    if rule.id not in result.fired_rules:
        # only a triage ceiling may stop it, and only when the facts raised the triage
        below = [c for c in rule.when if c.op == "triage_below"]
        assert below, (rule.id, facts, result.fired_rules)
        pytest.skip(f"{rule.id}: the facts found raise the triage past {below[0].subject}")
    target = rule.then.target
    if rule.then.kind == "avoid":
        item = next(a for a in result.avoid if a.id == target)
        assert rule.id in [r.rule for r in item.reasons] and item.why
    else:
        shown = {r.id for r in result.recommendations} | {w.id for w in result.withheld}
        assert target in shown


# ------------------------------------------- clinical expectations (domain.md)


@pytest.mark.parametrize("facts, level", [
    ({"bladder_or_bowel_changes": True}, "emergency"),
    ({"calf_swelling_redness": True}, "emergency"),
    ({"onset": "sudden", "onset_during_sprint_or_kick": True, "popping_sensation": True}, "urgent"),
    ({"onset_during_sprint_or_kick": True, "bruising": True}, "urgent"),
    ({"onset_during_sprint_or_kick": True, "pain_when_walking": True}, "urgent"),
    ({"leg_weakness": True}, "urgent"),
    ({"fever_or_unwell": True, "pain_level": 4}, "urgent"),
    ({"sharp_pain": True}, "see_professional"),
    ({"numbness_or_tingling": True}, "see_professional"),
    ({"night_pain": True}, "see_professional"),
    ({"unexplained_weight_loss": True}, "see_professional"),
    ({"pain_level": 7}, "see_professional"),
    ({"pain_level": 6}, "self_care"),
    ({"onset_during_sprint_or_kick": True}, "self_care"),  # no pop, bruising or pain walking: not a strain sign
    ({"sharp_pain": False, "numbness_or_tingling": False, "bladder_or_bowel_changes": False}, "self_care"),
    ({}, "self_care"),
    ({"pain_level": 9, "leg_weakness": True, "calf_swelling_redness": True}, "emergency"),  # most severe wins
])
def test_triage_follows_domain_md(builtin_evaluators, facts, level):
    for ev in builtin_evaluators.values():
        result = ev.evaluate(facts)
        assert result.triage_level == level, (ev.engine_name, facts, result.triage.reasons)
        if level in ("urgent", "emergency"):
            assert not [r for r in result.recommendations if r.kind == "exercise"]


def test_see_professional_recommends_an_assessment_and_gentle_work_only(durable):
    result = durable.evaluate({"night_pain": True, "glute_bridge_hamstring_cramp": True,
                               "sitting_hours_per_day": 9, "uses_standing_desk": False})
    assert result.triage_level == "see_professional"
    assert "professional_assessment" in result.recommendation_ids
    assert "underactive_glutes" in result.cause_ids
    exercises = [r for r in result.recommendations if r.kind == "exercise"]
    assert exercises and all(r.intensity == "gentle" for r in exercises)
    assert {"squat", "deadlift"} & {w.id for w in result.withheld}


def test_sharp_pain_warns_against_stretching_into_pain(durable):
    result = durable.evaluate({"sharp_pain": True})
    assert "stretching_into_pain" in [a.id for a in result.avoid]
    assert "stretching_into_pain" not in [a.id for a in durable.evaluate({"sharp_pain": False}).avoid]


@pytest.mark.parametrize("facts", [
    {"lumbar_gap_hand_fits": True, "standing_posture": "butt_and_belly_out"},  # anterior pelvic tilt
    {"toe_touch_tension_behind_knee_or_low_back": True, "symptoms_change_with_neck_flexion": True},  # neural
])
def test_no_aggressive_stretching_when_tilted_or_neural(durable, facts):
    result = durable.evaluate(facts)
    assert set(result.cause_ids) & {"anterior_pelvic_tilt", "neural_tension"}
    assert "aggressive_hamstring_stretch" in [a.id for a in result.avoid]


def test_an_acute_strain_rests_and_avoids_running(durable):
    result = durable.evaluate({"onset": "sudden", "onset_during_sprint_or_kick": True, "popping_sensation": True,
                               "bruising": True, "swelling": True})
    assert result.cause_ids[0] == "acute_strain" and result.triage_level == "urgent"
    assert "relative_rest_ice_compression" in result.recommendation_ids
    assert "high_intensity_running" in [a.id for a in result.avoid]


def test_sitting_counts_only_without_a_standing_desk(durable):
    assert "prolonged_sitting" in durable.evaluate({"sitting_hours_per_day": 8, "uses_standing_desk": False}).cause_ids
    assert "prolonged_sitting" not in durable.evaluate({"sitting_hours_per_day": 8, "uses_standing_desk": True}).cause_ids
    assert "prolonged_sitting" not in durable.evaluate({"sitting_hours_per_day": 5, "uses_standing_desk": False}).cause_ids


def test_glute_work_serves_sitting_and_glutes_once(durable):
    result = durable.evaluate({"sitting_hours_per_day": 10, "uses_standing_desk": False,
                               "glute_bridge_hamstring_cramp": True})
    bridges = [r for r in result.recommendations if r.id == "glute_bridge"]
    assert len(bridges) == 1
    assert set(bridges[0].for_causes) == {"underactive_glutes", "prolonged_sitting"}
    assert bridges[0].dose, "glute_bridge carries its dose"


def test_long_standing_tightness_that_stretching_does_not_change_is_guarding(durable):
    listed = durable.evaluate({"tightness_duration_weeks": 12, "stretching_response": "no_change"}).cause_ids
    assert "protective_guarding" in listed
    assert "protective_guarding" not in durable.evaluate(
        {"tightness_duration_weeks": 11, "stretching_response": "no_change"}).cause_ids
    assert "protective_guarding" not in durable.evaluate(
        {"tightness_duration_weeks": 20, "stretching_response": "relieves"}).cause_ids


def test_sit_bone_pain_with_gradual_onset_is_tendinopathy(durable):
    assert "proximal_tendinopathy" in durable.evaluate(
        {"pain_locations": ["sit_bone"], "onset": "gradual"}).cause_ids
    assert "proximal_tendinopathy" not in durable.evaluate(
        {"pain_locations": ["back_of_thigh"], "onset": "gradual"}).cause_ids


def test_nothing_known_concludes_nothing_and_asks_about_red_flags_first(durable):
    result = durable.evaluate({})
    assert result.triage_level == "self_care" and result.causes == [] and result.avoid == []
    red_flags = {name for name, f in CATALOGUE.facts.items() if f.red_flag}
    first = [q.fact for q in result.next_questions[:4]]
    assert first[0] in red_flags, first
    discriminators = {c.subject for r in CATALOGUE.rules if r.then.kind == "cause" and r.strength == "strong"
                      for c in r.fact_conditions}
    assert set(first) & discriminators, first
    asked = [q.fact for q in result.next_questions]
    assert len(asked) == len(set(asked)) and all("?" in q.question for q in result.next_questions)
