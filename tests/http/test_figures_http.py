"""GET /app/figures/ID.svg: an exercise's picture for the practitioner's page, titled in ?lang=."""
from __future__ import annotations

import xml.etree.ElementTree as ET


def test_an_exercise_picture_is_svg_titled_in_the_language_asked(make_app, installed_backend):
    client = make_app(backend=installed_backend).test_client()
    exercise = next(r for r in installed_backend.catalogue.recommendations.values() if r.kind == "exercise")
    for lang, title in (("en", exercise.name), ("es", None)):
        response = client.get(f"/app/figures/{exercise.id}.svg?lang={lang}")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        root = ET.fromstring(response.get_data(as_text=True))
        shown = root.find("{http://www.w3.org/2000/svg}title").text
        assert shown == (title or shown) and shown.strip()
        if lang == "es":
            assert shown != exercise.name  # translated, not the English name
    assert "Content-Security-Policy" in response.headers


def test_no_picture_and_an_unknown_language_are_clear_problems(make_app, installed_backend):
    client = make_app(backend=installed_backend).test_client()
    other = next(r for r in installed_backend.catalogue.recommendations.values() if r.kind != "exercise")
    for item_id in ("no_such_item", other.id):
        response = client.get(f"/app/figures/{item_id}.svg")
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
        assert item_id in response.json["detail"]
    exercise = next(r for r in installed_backend.catalogue.recommendations.values() if r.kind == "exercise")
    response = client.get(f"/app/figures/{exercise.id}.svg?lang=xx")
    assert response.status_code == 422 and "xx" in response.json["detail"]
