"""Translations: the Spanish catalogue covers every built-in patient text, a translated result
changes text and nothing else, unknown languages fail, plugins bring their own catalogues, lint
reports untranslated texts, and translators are shared safely between threads."""
from __future__ import annotations

import json
import re
import shutil
import threading
from dataclasses import fields
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner

import decision_core
from decision_core.installation import default_core, fresh_default_core
from decision_core.i18n import translations as i18n
from decision_core.result import model as result_module
from decision_core.catalogue.loading import builtin_rulesets_dir
from decision_core.cli.main import main as cli
from decision_core.i18n.translations import UnknownLanguage, available_languages, get_translator, translate_result
from decision_core.i18n.extract import builtin_templates, ruleset_messages
from decision_core.i18n.result_texts import NOT_WALKED, PYTHON_MESSAGES, result_texts, text_field_names
from decision_core.lint.linter import lint_installed, lint_paths
from decision_core.testing import installed_plugin
from plugin_support import load_with

REPO = Path(__file__).resolve().parent.parent
PLUGIN = REPO / "plugins" / "hamstring-strength-deficit"
PLUGIN_PKG = PLUGIN / "hamstring_strength_deficit"
PUBLIC = REPO.parent / "shared" / "vignettes" / "public.json"
COMPOSED = {"reason", "why", "because", "disclaimer"}  # composed by the core: said from their phrases
ID = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # a snake_case id



def catalogue(*paths: Path) -> dict[str, str]:
    """msgid -> msgstr of .po files, read with Babel directly (not through the translator under test)."""
    out: dict[str, str] = {}
    for path in paths:
        with open(path, "rb") as f:
            for m in read_po(f):
                if m.id and not m.fuzzy and (m.string or m.id not in out):
                    out[m.id] = out.get(m.id) or m.string
    return out


BUILTIN_ES = sorted((i18n.BUILTIN_LOCALE / "es" / "LC_MESSAGES").glob("*.po"))


def public_cases() -> list[dict]:
    if not PUBLIC.exists():
        pytest.skip(f"{PUBLIC} not found")
    return json.loads(PUBLIC.read_text(encoding="utf-8"))["cases"]


def strip_texts(value, key=None):
    """A result's dictionary form without its text fields: what a translation must leave alone."""
    texts, _ = text_field_names()
    if isinstance(value, dict):
        return {k: strip_texts(v, k) for k, v in value.items() if k not in texts and k not in COMPOSED}
    if isinstance(value, list):
        return [strip_texts(v) for v in value]
    return value


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    monkeypatch.delenv("DECISION_CORE_PLUGINS", raising=False)
    with fresh_default_core():  # the process default, loaded under this test's environment
        yield


# ------------------------------------------------------------------ results


@pytest.mark.parametrize("engine", ["plain"])
def test_spanish_result_of_every_public_case_has_no_english_patient_text(engine):
    es = catalogue(*BUILTIN_ES)
    tr = get_translator("es")
    for case in public_cases():
        result = decision_core.evaluate(case["facts"], engine=engine)
        before = result.to_dict()
        spanish = translate_result(result, tr)
        assert result.to_dict() == before, "translate_result changed the result it was given"
        translated = dict(result_texts(spanish))
        originals = list(result_texts(result))
        assert originals, case["id"]
        for path, text in originals:
            msgstr = es.get(text.strip())
            assert msgstr, f"{case['id']} {path}: no Spanish for {text!r}"
            assert translated[path].strip() == msgstr, f"{case['id']} {path}: {translated[path]!r}"
        # composed strings: their frames are Spanish, their ids as they were
        # composed strings: Spanish frames, naming what they are about (never by id)
        for w in spanish.withheld:
            assert w.reason.startswith("retirado") and not ID.search(w.reason), w.reason
        for q in spanish.next_questions:
            assert not q.why or q.why.startswith(("podría elevar", "ayudaría a confirmar")), q.why
            assert not ID.search(q.why), q.why
        for rec in spanish.recommendations:
            for reason in rec.reasons:
                assert not reason.because.startswith("recommended for "), reason.because
                assert not ID.search(reason.because), reason.because
        assert spanish.disclaimer == es[result_module.DISCLAIMER]
        # ids, facts, citations (verbatim English quotes), numbers: untouched
        assert strip_texts(spanish.to_dict()) == strip_texts(before)


def test_withheld_reasons_and_question_reasons_are_said_from_their_phrases_naming_causes_and_levels():
    facts = {"sharp_pain": True, "tightness_side": "left", "sitting_hours_per_day": 9}
    result = decision_core.evaluate(facts, engine="plain")
    tr = get_translator("es")
    spanish = translate_result(result, tr)
    catalogue = default_core().catalogue
    assert result.withheld, "the case should withhold something"
    for en, es in zip(result.withheld, spanish.withheld):
        assert (en.id, en.policy, en.reason_code) == (es.id, es.policy, es.reason_code)
        assert es.reason != en.reason
        if en.reason_code["code"] == "withheld_by_policy":
            says = next(p.says for p in catalogue.policy if p.id == en.reason_code["policy"])
            assert es.reason == "retirado por la política de seguridad: " + tr.gettext(" ".join(says.split()))
    asked = [q for q in result.next_questions if q.why_codes]
    assert any(p["code"] == "confirms" for q in asked for p in q.why_codes), "some question should name causes"
    for en, es in zip(result.next_questions, spanish.next_questions):
        assert en.why_codes == es.why_codes
        expected = []
        for phrase in en.why_codes:
            if phrase["code"] == "raises_triage":
                expected.append("podría elevar el triaje a " + tr.gettext(catalogue.level(phrase["level"]).name))
            else:
                names = ", ".join(tr.gettext(catalogue.causes[c].name) for c in phrase["causes"])
                expected.append("ayudaría a confirmar o descartar " + names)
        assert es.why == "; ".join(expected)
        assert not re.search(r"\b[a-z]+(_[a-z0-9]+)+\b", es.why), es.why  # never an id


def test_the_english_text_fields_of_the_json_are_said_from_the_same_phrases():
    """``why``, ``reason`` and ``because`` keep reading as they always have (ids: a machine's field)."""
    result = decision_core.evaluate({"sharp_pain": True, "stretching_response": "worse"}, engine="plain")
    for q in result.next_questions:
        parts = []
        for phrase in q.why_codes:
            parts.append(f"could raise the triage to {phrase['level']}" if phrase["code"] == "raises_triage"
                         else "would help confirm or rule out " + ", ".join(phrase["causes"]))
        assert q.why == "; ".join(parts)
    for rec in result.recommendations:
        for reason in rec.reasons:
            if reason.because_code:
                assert reason.because == f"recommended for {reason.because_code['cause']}"


def test_english_is_the_source_language_and_changes_nothing_but_what_the_core_composed():
    result = decision_core.evaluate(public_cases()[0]["facts"], engine="plain")
    assert get_translator(None) is get_translator("en") is get_translator("EN")
    english = translate_result(result, get_translator(None))
    assert strip_texts(english.to_dict()) == strip_texts(result.to_dict())
    assert dict(result_texts(english)) == dict(result_texts(result))
    # what the core composed names causes and levels for a person: "Anterior pelvic tilt", not its id
    assert [q.why_codes for q in english.next_questions] == [q.why_codes for q in result.next_questions]
    assert any(q.why != e.why for q, e in zip(result.next_questions, english.next_questions))
    assert get_translator("en").gettext("Glute bridge") == "Glute bridge"


def test_unknown_languages_fail_naming_the_language_and_the_available_ones():
    assert available_languages() == ["de", "en", "es"]
    for bad in ("xx", "klingon-language", "", "../es", 3):
        with pytest.raises(UnknownLanguage) as exc:
            get_translator(bad)
        assert isinstance(exc.value, ValueError)
        assert repr(bad) in str(exc.value) and "de, en, es" in str(exc.value)


def test_regional_variants_fall_back_to_the_base_language_and_whitespace_is_kept():
    es = get_translator("es")
    assert get_translator("ES") is es
    mx = get_translator("es-MX")
    assert mx.lang == "es_MX" and mx.gettext("Glute bridge") == es.gettext("Glute bridge") == "Puente de glúteos"
    assert es.gettext("  Glute bridge\n") == "  Puente de glúteos\n"
    assert es.gettext("Not in any catalogue") == "Not in any catalogue"
    assert es.ngettext("one day", "%(num)s days", 3) == "%(num)s days"


def test_translators_are_built_once_and_shared_between_threads():
    got: list = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        tr = get_translator("es")
        got.append((tr, tr.gettext("Squat")))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(tr) for tr, _ in got}) == 1 and {text for _, text in got} == {"Sentadilla"}


def test_results_translated_in_two_languages_at_once_do_not_mix():
    result = decision_core.evaluate(public_cases()[0]["facts"], engine="plain")
    expected = {lang: translate_result(result, get_translator(lang)).to_dict() for lang in ("en", "es")}
    errors: list[str] = []

    def worker(lang):
        for _ in range(20):
            if translate_result(result, get_translator(lang)).to_dict() != expected[lang]:
                errors.append(lang)

    threads = [threading.Thread(target=worker, args=(lang,)) for lang in ("en", "es") * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


# ------------------------------------------------------------------ catalogues


def test_the_templates_are_in_step_with_the_rulesets_and_every_language_is_complete():
    fresh = builtin_templates()
    languages = sorted(i18n.catalogue_files(i18n.BUILTIN_LOCALE))
    assert {"es", "de"} <= set(languages)
    for domain, pot in fresh.items():
        with open(i18n.BUILTIN_LOCALE / f"{domain}.pot", "rb") as f:
            shipped = {m.id for m in read_po(f) if m.id}
        assert {m.id for m in pot if m.id} == shipped, \
            f"{domain}.pot is stale: run 'decision-core translations extract'"
        for lang in languages:
            po = catalogue(i18n.BUILTIN_LOCALE / lang / "LC_MESSAGES" / f"{domain}.po")
            missing = sorted(m for m in shipped if not po.get(m))
            assert not missing, f"{len(missing)} untranslated in {lang}/{domain}.po, e.g. {missing[:3]}"
            for msgid in shipped:
                # every number of the English text is in the translation; so is every {placeholder} and %(placeholder)s
                english = " ".join(msgid) if isinstance(msgid, tuple) else msgid
                text = " ".join(po[msgid]) if isinstance(po[msgid], (tuple, list)) else po[msgid]
                assert set(re.findall(r"\d+", english)) <= set(re.findall(r"\d+", text)), (lang, msgid, text)
                for placeholder in (r"\{\w+\}", r"%\(\w+\)s"):
                    assert set(re.findall(placeholder, english)) == set(re.findall(placeholder, text)), (lang, msgid)
    assert set(PYTHON_MESSAGES) <= {m.id for m in fresh["decision_core"]}


def test_extraction_reads_declared_text_fields_after_yaml_folding_and_nothing_else():
    text = """\
ruleset: demo_recs
version: 1.0.0
kind: recommendations
title: Not for patients
items:
  - id: demo_item
    name: Demo stretch
    kind: exercise
    intensity: gentle
    dose: {sets: 2, reps: 10, frequency: daily, detail: "Slowly.", sources: [{source: "001", quote: "2 sets"}]}
    steps:
      - Lie down.
      - >-
        Breathe
        out.
    instructions: >-
      Lie down and
      breathe.
    progression: {text: Add a set when it is easy., sources: [{source: "001", quote: "add a set"}]}
    for_causes: [demo]
    sources: [{source: "001", quote: "a verbatim quote"}]
rules:
  - id: demo_recs.r
    when: [age >= 10]
    then: recommend demo_item
    because: Because
      you asked.
    sources: ["001"]
"""
    got = [(line, msg) for line, msg, _ in ruleset_messages(text)]
    assert got == [(7, "Demo stretch"), (10, "Slowly."), (12, "Lie down."), (13, "Breathe out."),
                   (16, "Lie down and breathe."), (19, "Add a set when it is easy."), (26, "Because you asked.")]


def test_pybabel_can_extract_rulesets_through_the_entry_point():
    from babel.messages.extract import extract_from_dir

    found = {msg for _, _, msg, _, _ in extract_from_dir(
        str(builtin_rulesets_dir()), [("**.yaml", "decision_core_rulesets")])}
    assert "Glute bridge" in found and "How old are you?" in found


def test_every_text_field_of_a_result_is_classified():
    """A new text field on a result class must be declared translatable (ruleset schema
    metadata=TEXT) or listed here as never translated."""
    texts, containers = text_field_names()
    never = {"id", "fact", "rule", "kind", "level", "type", "strength", "policy", "could_raise_to", "engine",
             "version", "plugin", "intensity", "for_triage", "source", "quote", "basis", "per",
             "record_id"} | NOT_WALKED
    unclassified = []
    for cls in result_module.RESULT_CLASSES.values():
        for f in fields(cls):
            hint = str(f.type)
            if "str" in hint and "dict" not in hint and f.name not in texts | COMPOSED | never:
                unclassified.append(f"{cls.__name__}.{f.name}")
    assert not unclassified, unclassified
    assert "dose" in containers


# ------------------------------------------------------------------ plugins and lint


def test_a_plugin_brings_its_own_translations():
    es_before = get_translator("es")
    assert es_before.gettext("Weak hamstrings") == "Weak hamstrings"
    facts = {"quads_stronger_than_hamstrings": True, "strength_training_focus": "quads",
             "hamstring_strength_tested_weak": True}
    with installed_plugin("hamstring_strength_deficit", source_dir=PLUGIN):
        info = default_core().plugin("hamstring_strength_deficit")  # what evaluate and get_translator use
        assert info.registered["translations"] == ["de", "es"]
        result = decision_core.evaluate(facts, engine="plain")
        spanish = translate_result(result, get_translator("es"))
        names = {c.id: c.name for c in spanish.causes}
        assert names["hamstring_strength_deficit"] == "Isquiotibiales débiles"
        es = catalogue(*BUILTIN_ES, PLUGIN_PKG / "locale" / "es" / "LC_MESSAGES" / "hamstring_strength_deficit.po")
        translated = dict(result_texts(spanish))
        for path, text in result_texts(result):
            assert translated[path] == es[text.strip()], path
    assert get_translator("es").gettext("Weak hamstrings") == "Weak hamstrings"  # gone with the plugin


def test_a_plugin_registering_a_missing_locale_folder_fails_clearly(tmp_path):
    pkg = tmp_path / "bad_locale"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from pathlib import Path\nfrom decision_core.hookspecs import hookimpl\n\n"
        "@hookimpl\ndef register_translations(register):\n    register(Path(__file__).parent / 'locale')\n",
        encoding="utf-8")
    info = load_with("bad_locale", folder=tmp_path).plugin("bad_locale")
    assert info.status == "failed" and "is not a folder" in info.error and "register_translations" in info.error


def test_lint_warns_per_language_when_a_plugin_text_is_untranslated(tmp_path):
    pkg = tmp_path / "hamstring_strength_deficit"
    shutil.copytree(PLUGIN_PKG, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    assert not [i for i in lint_paths([pkg / "rulesets"]).issues if i.code == "untranslated"]
    po = pkg / "locale" / "es" / "LC_MESSAGES" / "hamstring_strength_deficit.po"
    with open(po, "rb") as f:
        cat = read_po(f)
    cat["Weak hamstrings"].string = ""
    cat["Single-leg hamstring curl"].flags.add("fuzzy")
    with open(po, "wb") as f:
        write_po(f, cat)
    report = lint_paths([pkg / "rulesets"])
    issues = [i for i in report.issues if i.code == "untranslated"]
    assert len(issues) == 1 and issues[0].severity == "warning", report.text()
    total = len(catalogue(pkg / "locale" / "hamstring_strength_deficit.pot"))
    assert issues[0].message.startswith(f"2 of {total} patient texts have no 'es' translation: ")
    assert "'Single-leg hamstring curl'" in issues[0].message and "'Weak hamstrings'" in issues[0].message
    assert not report.ok(strict=True) and report.ok()
    assert report.stats["untranslated"] == {"de": 0, "es": 2}


def test_the_installed_catalogue_has_no_untranslated_text_in_any_language():
    report = lint_installed()
    assert report.stats["untranslated"] == {"de": 0, "es": 0}, report.text()
    assert not [i for i in report.issues if i.code == "untranslated"]


def test_the_translations_commands_extract_a_plugin_catalogue_and_report_coverage(tmp_path):
    pkg = tmp_path / "demo_plugin"
    shutil.copytree(PLUGIN_PKG / "rulesets", pkg / "rulesets")
    out = CliRunner().invoke(cli, ["translations", "extract", "--rulesets", str(pkg / "rulesets"), "--lang", "es"])
    assert out.exit_code == 0, out.output
    po = pkg / "locale" / "es" / "LC_MESSAGES" / "demo_plugin.po"
    assert (pkg / "locale" / "demo_plugin.pot").exists() and po.exists()
    expected = catalogue(PLUGIN_PKG / "locale" / "hamstring_strength_deficit.pot")
    assert set(catalogue(po)) == set(expected) and not any(catalogue(po).values())
    stats = json.loads(CliRunner().invoke(cli, ["translations", "stats", "--json"]).output)
    for lang in ("de", "es"):
        assert stats[lang]["missing"] == [] and stats[lang]["total"] == stats[lang]["translated"] > 380
