"""A language is data: its catalogue files alone make it (issue 21 §5). A made-up language, built by
copying the German catalogues under a private-use code and registering them the way a plugin does,
is offered and used by the handout, the Questionnaire, the terminal interview and the page, with no
Python change; and no code, template or script names a language."""
from __future__ import annotations

import ast
import json
import re
import tokenize
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner

import decision_core
from decision_core.adapters.reports import render
from decision_core.cli.main import main as cli
from decision_core.i18n import translations as i18n
from decision_core.i18n.translations import available_languages, get_translator, language_name
from decision_core.installation import default_core
from decision_core.interview.questionnaire import build_questionnaire
from decision_core.testing import installed_plugin

REPO = Path(__file__).resolve().parent.parent
CODE = "qaa"  # ISO 639's private-use range: no real language, unknown to Babel's CLDR data
NAME = "Testdeutsch"  # its name for itself, said only by its catalogue
DESK = {"sitting_hours_per_day": 10, "activity_level": "sedentary", "glute_bridge_hamstring_cramp": True}


def _language_package(root: Path) -> Path:
    """A package that only registers a locale folder: the German catalogues, copied as language CODE."""
    pkg = root / "qaa_language"
    target = pkg / "locale" / CODE / "LC_MESSAGES"
    target.mkdir(parents=True)
    for po in sorted((i18n.BUILTIN_LOCALE / "de" / "LC_MESSAGES").glob("*.po")):
        with open(po, "rb") as f:
            catalog = read_po(f)
        named = catalog.get("English", "language name")
        if named is not None:
            named.string = NAME
        with open(target / po.name, "wb") as f:
            write_po(f, catalog)
        copied = target / po.name
        copied.write_text(copied.read_text(encoding="utf-8").replace('"Language: de\\n"', f'"Language: {CODE}\\n"'),
                          encoding="utf-8")
        assert f'"Language: {CODE}\\n"' in copied.read_text(encoding="utf-8")
    (pkg / "__init__.py").write_text(
        "from pathlib import Path\nfrom decision_core.hookspecs import hookimpl\n\n"
        "@hookimpl\ndef register_translations(register):\n    register(Path(__file__).parent / 'locale')\n",
        encoding="utf-8")
    return pkg


@pytest.fixture
def new_language(tmp_path):
    _language_package(tmp_path)
    with installed_plugin("qaa_language", source_dir=tmp_path):
        assert default_core().plugin("qaa_language").registered["translations"] == [CODE]
        yield get_translator("de")


def test_a_language_is_offered_and_named_from_its_catalogue_alone(new_language):
    assert CODE in available_languages() and "de" in available_languages()
    assert language_name(CODE) == NAME
    assert language_name("de") == "Deutsch" and language_name("en") == "English"
    assert get_translator(CODE).gettext("Glute bridge") == new_language.gettext("Glute bridge") != "Glute bridge"


def test_the_handout_is_written_in_the_new_language(new_language):
    de = new_language
    result = decision_core.evaluate(DESK)
    html = render(result, "html", lang=CODE).decode()
    text = render(result, "text", lang=CODE).decode()
    assert f'<html lang="{CODE}">' in html
    cause = de.gettext(result.causes[0].name)
    for doc in (html, text):
        assert cause in doc and de.gettext("Your exercises").upper() in doc.upper()
        assert de.gettext("Glute bridge") in doc and "Glute bridge" not in doc
        assert "What is likely behind your tightness".upper() not in doc.upper()
    # dates and word lists: CLDR does not know the code, so they fall back to English rather than fail
    prepared = next(line for line in text.splitlines() if line.startswith(de.gettext("Prepared") + ":"))
    assert re.search(r"[A-Z][a-z]+ \d+, \d{4}", prepared), prepared
    pdf = render(result, "pdf", lang=CODE)
    assert pdf.startswith(b"%PDF")


def test_the_questionnaire_and_the_interview_speak_the_new_language(new_language):
    de = new_language
    catalogue = default_core().catalogue
    questionnaire = build_questionnaire(catalogue, get_translator(CODE))
    assert questionnaire["language"] == CODE
    assert questionnaire["title"] == de.gettext("Hamstring tightness: intake questions") != "Hamstring tightness: intake questions"
    out = CliRunner().invoke(cli, ["questionnaire", "--lang", CODE])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["title"] == questionnaire["title"]
    # the terminal interview: its prompts, and the words it understands, are the catalogue's
    # ("nichts": none of these warning signs; "ende": stop)
    out = CliRunner().invoke(cli, ["interview", "--lang", CODE], input="nichts\nende\n")
    assert out.exit_code == 0, out.output
    assert de.gettext("Enter skips, 'back' goes back, 'quit' stops.") in out.output
    assert de.gettext("Do you have any of these?") in out.output
    assert de.gettext("Answer with the number of an option.") not in out.output  # "nichts" was understood
    asked = de.gettext("{asked} of {total} questions asked.").split("{total}")[0].format(asked=1)
    assert asked in out.output  # and "ende" stopped it at the next question


def test_the_page_offers_the_new_language_and_hands_out_in_it(new_language):
    from decision_core.adapters.http import create_app

    client = create_app({"ENV": "development"}).test_client()  # the installation that has the language
    page = client.get("/app").get_data(as_text=True)
    assert f'<option value="{CODE}" lang="{CODE}">{NAME}</option>' in page
    assert '<option value="de" lang="de">Deutsch</option>' in page
    reply = client.post("/v1/reports?format=html", json={"facts": DESK, "lang": CODE})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    handout = reply.get_data(as_text=True)
    assert f'<html lang="{CODE}">' in handout and new_language.gettext("Your exercises") in handout


def _string_literals(path: Path):
    """(line, value) of the string literals of a Python file, docstrings left out."""
    with open(path, encoding="utf-8") as f:
        for tok in tokenize.generate_tokens(f.readline):
            if tok.type == tokenize.STRING and not tok.string.lstrip("rbuRBU").startswith(('"""', "'''")):
                try:
                    value = ast.literal_eval(tok.string)
                except (ValueError, SyntaxError):  # an f-string's pieces
                    continue
                if isinstance(value, str):
                    yield tok.start[0], value


def test_no_code_names_a_language():
    """What makes a language is only its catalogue: no module, template or script of the product names one of
    the installed languages (its code as a string, or its name), so adding one needs no change there."""
    others = [lang for lang in available_languages() if lang != i18n.SOURCE_LANGUAGE]
    names = [language_name(lang) for lang in others]
    assert "de" in others and "Deutsch" in names
    found = []
    folders = [REPO / "decision_core", REPO / "adapters"]
    for path in (p for folder in folders for p in folder.rglob("*.py")):
        for line, value in _string_literals(path):
            if value.lower() in others or any(name in value for name in names):
                found.append(f"{path.relative_to(REPO)}:{line}: {value!r}")
    code = re.compile(r"""['"](%s)['"]""" % "|".join(map(re.escape, others)))
    for path in (p for folder in folders for ext in ("*.js", "*.j2", "*.html") for p in folder.rglob(ext)):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if code.search(line) or any(name in line for name in names):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:80]}")
    assert not found, "\n".join(found)
