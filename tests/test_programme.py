"""The programme ruleset and the selection (issue 19): how the catalogue reads ``kind: programme`` files
and rejects bad ones, what lint says about them, how the selection chooses, doses and swaps, and how a
result carries its programme."""
from __future__ import annotations

import copy

import pytest

from decision_core.catalogue.loading import (
    BUILTIN_ORIGIN,
    CatalogueBuilder,
    RulesetError,
    builtin_rulesets_dir,
    load_documents,
    parse_ruleset,
    ruleset_files,
)
from decision_core.catalogue.dose import Dose, parse_spec, resolve, with_defaults
from decision_core.evaluation.evaluator import Evaluator
from decision_core.lint.linter import lint_paths
from decision_core.evaluation.prescription import SwapError, select_programme
from decision_core.result.model import Result
from decision_core.cli.summary import summarise

DESK_WORKER = {"age": 38, "activity_level": "sedentary", "sitting_hours_per_day": 10, "uses_standing_desk": False,
               "tightness_side": "both", "onset": "gradual", "pain_level": 2, "sharp_pain": False,
               "glute_bridge_hamstring_cramp": True}
# every red flag answered no, pain-free, used to weight training: nothing keeps a lift out but the limits
LIFTER = {"glute_bridge_hamstring_cramp": True, "single_leg_bridge_weak": True, "activity_level": "recreational",
          "pain_level": 0, "sharp_pain": False, "strength_training_focus": "balanced", "sports": ["gym"]}
OVERLOADED = {"recent_training_increase": True, "warms_up_before_running": False, "starts_runs_fast": True,
              "activity_level": "competitive", "pain_level": 2, "sharp_pain": False}


def builtin_docs():
    return load_documents((p, BUILTIN_ORIGIN) for p in ruleset_files(builtin_rulesets_dir()))


def with_extra(raw: dict):
    return CatalogueBuilder([*builtin_docs(), parse_ruleset(raw, "extra.yaml", "extra_plugin")]).build()


def extra(**sections) -> dict:
    return {"ruleset": "extra_programme", "version": "1.0.0", "kind": "programme", "title": "Extra", **sections}


@pytest.fixture(scope="module")
def evaluator(builtin_catalogue):
    return Evaluator(builtin_catalogue, "plain")


def answered(catalogue, facts: dict) -> dict:
    """``facts`` with every red flag answered no, and the other questions that could raise the triage."""
    out = {name: False for name, f in catalogue.facts.items() if f.red_flag and f.type == "bool"}
    out.update(pain_locations=["back_of_thigh"], tightness_duration_weeks=6, previous_hamstring_injury=False,
               stretching_response="temporary", onset="gradual")
    return {**out, **facts}


# ------------------------------------------------------------------ the ruleset


def test_the_builtin_programme_rules_are_loaded(builtin_catalogue):
    rules = builtin_catalogue.programme
    s = rules.settings
    assert (s.max_exercises, s.max_everyday, s.per_cause, s.weeks, s.review_in_weeks) == (5, 2, 2, 4, 4)
    assert [p.id for p in s.phases] == ["start", "progress"] and s.phases[1].tags == ("loaded",)
    assert {"glute_isolation", "hamstring_length", "neural_glide", "warm_up"} <= rules.jobs
    assert all(t in builtin_catalogue.tags for t in rules.jobs)  # job tags join the tag vocabulary
    assert all(set(e.dose.basis.values()) == {"default"} and e.dose.citations[0].source == "defaults"
               for e in rules.doses)


def test_a_plugin_adds_fit_rules_and_doses_but_not_a_second_set_of_settings(builtin_catalogue):
    cat = with_extra(extra(
        tags={"swimming": "advice for swimmers"},
        fit=[{"id": "swims", "tags": ["swimming"], "any": ["sports includes swimming"], "why": "fit_swimming",
              "says": "only for swimmers", "sources": ["policy"]}],
        doses=[{"item": "pelvic_tilts", "dose": {"sets": 3}, "sources": ["defaults"]}]))
    assert [f.id for f in cat.programme.fit][-1] == "swims" and "swimming" in cat.tags
    assert cat.programme.settings == builtin_catalogue.programme.settings
    settings = {"weeks": 4, "review_in_weeks": 4, "limits": {"exercises": 3, "everyday": 1, "per_cause": 1},
                "exercise_kinds": ["exercise"], "everyday": {"kinds": ["lifestyle"]},
                "phases": [{"id": "start", "name": "Start"}]}
    with pytest.raises(RulesetError) as caught:
        with_extra(extra(settings=settings))
    assert [(p.code, p.rule) for p in caught.value.problems] == [("duplicate", "settings")]
    assert "already defined by ruleset 'programme'" in str(caught.value)


@pytest.mark.parametrize("sections, where, words", [
    ({"fit": [{"id": "f", "tags": ["no_such_tag"], "all": ["pain_level is 0"], "why": "fit_x", "says": "only x",
               "sources": ["policy"]}]}, "fit f", "unknown tag 'no_such_tag'"),
    ({"fit": [{"id": "f", "tags": ["loaded"], "all": ["no_such_fact is true"], "why": "fit_x", "says": "only x",
               "sources": ["policy"]}]}, "fit f", "unknown fact 'no_such_fact'"),
    ({"fit": [{"id": "f", "tags": ["loaded"], "all": ["cause overloading"], "why": "fit_x", "says": "only x",
               "sources": ["policy"]}]}, "fit f", "reads the patient's facts only"),
    ({"doses": [{"item": "no_such_item", "dose": {"sets": 2}, "sources": ["defaults"]}]}, "dose item no_such_item",
     "unknown recommendation 'no_such_item'"),
    ({"doses": [{"tag": "stretch", "dose": {"sets": 0}, "sources": ["defaults"]}]}, "dose tag stretch",
     "must be a positive number"),
    ({"doses": [{"tag": "stretch", "dose": {"frequency": "sometimes"}, "sources": ["defaults"]}]}, "dose tag stretch",
     "not one of daily, weekly"),
    ({"doses": [{"tag": "stretch", "item": "squat", "dose": {"sets": 2}, "sources": ["defaults"]}]}, "dose #1",
     "either an item or a tag"),
    ({"doses": [{"tag": "stretch", "dose": {"sets": 2}, "sources": ["nobody"]}]}, "dose tag stretch",
     "unknown source 'nobody'"),
    ({"jobs": ["not_declared"]}, "jobs", "unknown tag 'not_declared'"),
])
def test_a_bad_programme_ruleset_is_rejected_naming_where_and_why(sections, where, words):
    with pytest.raises(RulesetError) as caught:
        with_extra(extra(**sections))
    assert any(p.rule == where and words in p.message for p in caught.value.problems), \
        [(p.rule, p.message) for p in caught.value.problems]


@pytest.mark.parametrize("change, words", [
    (lambda s: s["phases"].append({"id": "start", "name": "Again", "tags": ["loaded"]}), "same id"),
    (lambda s: s["phases"][0].update(tags=["loaded"]), "takes no tags"),
    (lambda s: s.update(review_in_weeks=6), "after the programme ends"),
    (lambda s: s["everyday"]["kinds"].append("exercise"), "both an exercise kind and an everyday kind"),
    (lambda s: s["limits"].update(per_cause=0), "limits"),
])
def test_settings_that_make_no_sense_are_rejected(change, words):
    import yaml

    raw = yaml.safe_load((builtin_rulesets_dir() / "programme.yaml").read_text(encoding="utf-8"))
    change(raw["settings"])
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(raw, "programme.yaml")
    assert words in str(caught.value), str(caught.value)


def test_lint_finds_an_exercise_that_would_have_no_dose_and_limits_that_make_no_sense(tmp_path):
    import yaml

    raw = yaml.safe_load((builtin_rulesets_dir() / "programme.yaml").read_text(encoding="utf-8"))
    raw["doses"] = [d for d in raw["doses"] if d.get("tag") != "mobility"]  # the hip mobility drills lose theirs
    raw["settings"]["limits"].update(exercises=1, per_cause=3)
    raw["jobs"].append("running")  # a tag no item... carries? cool_down_stretch does: not reported
    path = tmp_path / "programme.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    report = lint_paths([path])
    found = {(i.severity, i.code, i.rule) for i in report.issues if "programme" in i.code or "dose" in i.code
             or i.code == "programme_limit"}
    assert ("error", "exercise_without_dose", "item hip_90_90_transitions") in found
    assert ("error", "exercise_without_dose", "item pelvic_tilts") in found  # 20 reps from its source, no sets
    assert ("warning", "programme_limit", "settings") in found
    assert not report.ok()


def test_the_builtin_programme_rules_lint_clean():
    report = lint_paths([builtin_rulesets_dir() / "programme.yaml"])
    assert not [i for i in report.issues if i.file and i.file.endswith("programme.yaml")], report.text()


# ------------------------------------------------------------------ doses


def test_a_starting_dose_fills_only_what_the_source_leaves_out_and_keeps_how_much_whole():
    source = Dose.from_dict({"reps": 15, "hold_seconds": 5}, basis="source")
    default = Dose.from_dict({"sets": 2, "hold_seconds": 30, "per_side": True, "frequency": "daily"}, basis="default")
    dose = with_defaults(source, default)
    assert (dose.sets, dose.reps, dose.hold_seconds, dose.per_side) == (2, 15, 5, None)  # no hold 30 s, no sides
    assert dose.basis == {"reps": "source", "hold_seconds": "source", "sets": "default", "frequency": "default"}
    assert with_defaults(Dose.from_dict({"frequency": "2/day"}, basis="source"), default).hold_seconds == 30


def test_the_clinic_replaces_a_starting_dose_and_a_dose_without_one_resolves_as_before():
    source = Dose.from_dict({"frequency": "daily"}, basis="source")
    started = with_defaults(source, Dose.from_dict({"sets": 2, "reps": 10}, basis="default"))
    clinic = parse_spec("3x30s", basis="clinic")
    dose = resolve(started, clinic)
    assert (dose.sets, dose.reps, dose.hold_seconds) == (3, None, 30)  # the clinic's how-much, whole
    assert dose.basis == {"sets": "clinic", "hold_seconds": "clinic", "frequency": "source"}
    assert resolve(started).basis == started.basis
    assert resolve(source, clinic) == resolve(source, clinic)  # without defaults: unchanged
    assert resolve(source, clinic).basis == {"sets": "clinic", "hold_seconds": "clinic", "frequency": "source"}


# ------------------------------------------------------------------ choosing


def test_the_desk_worker_gets_one_glute_exercise_a_stretch_and_two_everyday_changes(evaluator):
    result = evaluator.evaluate(DESK_WORKER)
    p = result.programme
    assert [ph.id for ph in p.phases] == ["start"]
    assert p.exercise_ids == ["glute_bridge", "gentle_hamstring_stretch"]
    assert [i.id for i in p.lifestyle] == ["standing_desk", "movement_breaks"]
    why = {a.id: a.why for a in p.alternatives}
    assert why == {"donkey_kick": "same_job", "clamshell": "same_job",  # the bridge does the glutes' job
                   "squat": "fit_pain_free", "deadlift": "fit_pain_free"}  # pain 2 is not pain-free
    bridge = p.phases[0].items[0]
    assert bridge.starting_dose and bridge.dose["basis"] == {"frequency": "source", "sets": "default",
                                                              "reps": "default"}
    assert {"source": "defaults"} in bridge.dose["citations"]
    assert result.recommendation_ids == [r.id for r in evaluator.evaluate(DESK_WORKER).recommendations]


def test_a_dynamic_stretch_moves_and_never_gets_a_hold(evaluator, builtin_catalogue):
    """004's toe touches and nerve flossing are repetitions: a starting dose never adds a static hold to them."""
    result = evaluator.evaluate({"toe_touch_tension_behind_knee_or_low_back": True, "tightness_duration_weeks": 20,
                                 "stretching_response": "no_change", "stretching_is_painful": True,
                                 "symptoms_change_with_neck_flexion": True})
    dynamic = {i.id for i in builtin_catalogue.recommendations.values() if "dynamic_stretch" in i.tags}
    chosen = [item for phase in result.programme.phases for item in phase.items if item.id in dynamic]
    assert {item.id for item in chosen} == {"nerve_flossing", "toe_touch_progression", "supine_alternate_toe_touch"}
    for item in chosen:
        assert "hold_seconds" not in item.dose and item.dose["reps"] and item.dose["frequency"], item


def test_lifts_come_after_the_simple_exercises_and_only_with_every_safety_question_answered(evaluator):
    cat = evaluator.catalogue
    open_questions = evaluator.evaluate(LIFTER)
    assert open_questions.open_safety_questions
    assert {a.id: a.why for a in open_questions.programme.alternatives}["squat"] == "fit_red_flags_open"
    result = evaluator.evaluate(answered(cat, LIFTER))
    assert not result.open_safety_questions, result.open_safety_questions
    phases = {ph.id: [i.id for i in ph.items] for ph in result.programme.phases}
    assert phases["start"][0] == "glute_bridge" and phases["progress"] == ["squat"]
    assert {a.id: a.why for a in result.programme.alternatives}["deadlift"] == "same_job"
    # a little pain keeps the lift out
    sore = evaluator.evaluate(answered(cat, {**LIFTER, "pain_level": 1}))
    assert {a.id: a.why for a in sore.programme.alternatives}["squat"] == "fit_pain_free"
    # and so does not lifting weights
    new = evaluator.evaluate(answered(cat, {**LIFTER, "strength_training_focus": "none", "sports": []}))
    assert {a.id: a.why for a in new.programme.alternatives}["squat"] == "fit_weight_training"


def test_running_and_training_items_only_for_people_who_run_or_train(evaluator):
    player = evaluator.evaluate({**OVERLOADED, "sports": ["football"]})
    chosen, why = player.programme.chosen_ids, {a.id: a.why for a in player.programme.alternatives}
    assert "dynamic_warm_up" in chosen  # before a session: a player trains
    assert why.get("cool_down_stretch") == "fit_running"  # after every run: not for a player who does not run
    runner = evaluator.evaluate({**OVERLOADED, "sports": ["running"]})
    assert {"dynamic_warm_up", "cool_down_stretch"} <= set(runner.programme.chosen_ids)
    sitter = evaluator.evaluate({**OVERLOADED, "activity_level": "sedentary"})
    assert "dynamic_warm_up" in sitter.recommendation_ids
    assert {a.id: a.why for a in sitter.programme.alternatives}["dynamic_warm_up"] == "fit_sport"


def test_on_hold_there_are_no_exercises_and_the_referral_stays(evaluator):
    result = evaluator.evaluate({**DESK_WORKER, "sharp_pain": True})
    p = result.programme
    assert p.on_hold and result.programme_on_hold and not p.phases
    assert "professional_assessment" in [i.id for i in p.lifestyle]


# ------------------------------------------------------------------ swaps, saved results


def test_a_practitioner_swaps_an_alternative_in_for_a_chosen_item(evaluator):
    result = evaluator.evaluate(DESK_WORKER)
    swapped = select_programme(result, evaluator.catalogue, {"glute_bridge": "clamshell"})
    assert swapped.exercise_ids == ["clamshell", "gentle_hamstring_stretch"]
    clamshell = swapped.phases[0].items[0]
    assert clamshell.dose["per_side"] is True and clamshell.starting_dose
    why = {a.id: a.why for a in swapped.alternatives}
    assert why["glute_bridge"] == "swapped_out" and "clamshell" not in why
    assert select_programme(result, evaluator.catalogue).to_dict() == result.programme.to_dict()
    # a lift goes into its own phase, even against the fit rules: the practitioner decides
    lifted = select_programme(result, evaluator.catalogue, [("gentle_hamstring_stretch", "squat")])
    assert [(ph.id, [i.id for i in ph.items]) for ph in lifted.phases] == [("start", ["glute_bridge"]),
                                                                          ("progress", ["squat"])]


@pytest.mark.parametrize("swap, words", [
    (("donkey_kick", "clamshell"), "not in the programme"),
    (("glute_bridge", "hamstring_curl"), "not among the allowed recommendations"),
    (("glute_bridge", "gentle_hamstring_stretch"), "already in the programme"),
])
def test_a_swap_that_cannot_be_made_says_why(evaluator, swap, words):
    result = evaluator.evaluate(DESK_WORKER)
    with pytest.raises(SwapError, match=words):
        select_programme(result, evaluator.catalogue, [swap])


def test_what_is_always_kept_is_never_swapped_out_and_no_exercise_comes_in_on_hold(evaluator):
    result = evaluator.evaluate({**DESK_WORKER, "sharp_pain": True})
    with pytest.raises(SwapError, match="always kept"):
        select_programme(result, evaluator.catalogue, {"professional_assessment": "standing_desk"})
    # (the policy withholds every exercise while it holds the programme; a plugin's line might not)
    held = evaluator.evaluate(DESK_WORKER)
    held.programme_on_hold = True
    assert not select_programme(held, evaluator.catalogue).phases
    with pytest.raises(SwapError, match="holds the home programme"):
        select_programme(held, evaluator.catalogue, {"standing_desk": "clamshell"})


def test_the_programme_reads_back_and_a_result_saved_before_it_gets_one_again(evaluator):
    result = evaluator.evaluate(DESK_WORKER)
    data = result.to_dict()
    assert Result.from_dict(data).to_dict() == data
    old = copy.deepcopy(data)
    del old["programme"]
    saved = Result.from_dict(old)
    assert saved.programme is None and saved.to_dict()["programme"] is None
    assert select_programme(saved, evaluator.catalogue).to_dict() == data["programme"]


def test_the_summary_names_the_hold_and_lists_what_to_do_now(evaluator):
    result = evaluator.evaluate({**DESK_WORKER, "sharp_pain": True})
    text = summarise(result, evaluator.catalogue)
    assert "What to do now:\n  - Assessment by a physiotherapist or doctor" in text
    assert "Start with" not in text and "Programme (" not in text


def test_the_summary_speaks_spanish_when_asked(evaluator):
    from decision_core.i18n.translations import get_translator, translate_result

    tr = get_translator("es")
    result = evaluator.evaluate(DESK_WORKER)
    text = summarise(translate_result(result, tr), evaluator.catalogue, tr.gettext)
    assert "Para empezar:" in text and "dosis inicial" in text and "Alternativas: " in text
    assert "solo sin dolor" in text  # the fit rule's words, translated
