"""Templates that translate: one shared Jinja environment, a translator per render, safe when
threads render the same template in different languages at once; and template strings extract."""
from __future__ import annotations

import threading
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from jinja2 import DictLoader

from decision_core.i18n.translations import Translator, load_translator
from decision_core.i18n.extract import core_pot
from decision_core.i18n.jinja import gettext_context, i18n_environment

TEMPLATE = """\
<h1>{% trans %}Your home programme{% endtrans %}</h1>
<p>{{ _("Hello %(name)s", name=patient) }}</p>
<p>{% trans count=weeks %}
  One week
{% pluralize %}
  {{ count }} weeks
{% endtrans %}</p>
{% include "part.j2" %}"""
PART = '<footer>{{ _("Call us") }}</footer>'


def spanish(tmp_path: Path) -> Translator:
    cat = Catalog(locale="es", domain="decision_core")
    cat.add("Your home programme", "Su programa para casa")
    cat.add("Hello %(name)s", "Hola, %(name)s")
    cat.add(("One week", "%(count)s weeks"), ("Una semana", "%(count)s semanas"))
    cat.add("Call us", "Llámenos")
    path = tmp_path / "locale" / "es" / "LC_MESSAGES" / "decision_core.po"
    path.parent.mkdir(parents=True)
    with open(path, "wb") as f:
        write_po(f, cat)
    return load_translator("es", [tmp_path / "locale"])


def render(env, tr: Translator | None, **values) -> str:
    extra = gettext_context(tr) if tr is not None else {}
    return env.get_template("t.j2").render(patient="<Ana>", weeks=values.get("weeks", 3), **extra)


def test_a_render_is_translated_by_the_translator_it_is_given(tmp_path):
    env = i18n_environment(loader=DictLoader({"t.j2": TEMPLATE, "part.j2": PART}), autoescape=True)
    es = spanish(tmp_path)
    out = render(env, es)
    assert "<h1>Su programa para casa</h1>" in out
    assert "<p>Hola, &lt;Ana&gt;</p>" in out  # variables escaped under autoescape
    assert "<p>3 semanas</p>" in out and "<footer>Llámenos</footer>" in out
    assert "<p>Una semana</p>" in render(env, es, weeks=1)
    english = render(env, None)  # no translator: the environment's English
    assert "<h1>Your home programme</h1>" in english and "<p>3 weeks</p>" in english
    assert render(env, Translator("en")) == english


def test_threads_rendering_one_template_in_two_languages_do_not_mix(tmp_path):
    env = i18n_environment(loader=DictLoader({"t.j2": TEMPLATE, "part.j2": PART}), autoescape=True)
    translators = {"es": spanish(tmp_path), "en": Translator("en")}
    expected = {lang: render(env, tr) for lang, tr in translators.items()}
    assert expected["es"] != expected["en"]
    errors: list[str] = []
    barrier = threading.Barrier(6)

    def worker(lang):
        barrier.wait()
        for _ in range(200):
            if render(env, translators[lang]) != expected[lang]:
                errors.append(lang)

    threads = [threading.Thread(target=worker, args=(lang,)) for lang in ("es", "en") * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_template_strings_are_extracted_into_the_decision_core_domain(tmp_path):
    folder = tmp_path / "adapter"
    (folder / "templates").mkdir(parents=True)
    (folder / "templates" / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    (folder / "templates" / "part.j2").write_text(PART, encoding="utf-8")
    (folder / "view.py").write_text('from decision_core.i18n.result_texts import N_\nLABEL = N_("Sets")\n', encoding="utf-8")
    pot = core_pot([folder])
    ids = {m.id for m in pot if m.id}
    assert {"Your home programme", "Hello %(name)s", ("One week", "%(count)s weeks"), "Call us", "Sets"} <= ids
