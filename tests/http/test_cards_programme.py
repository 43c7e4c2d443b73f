"""The CDS card's detail shows the result's programme, not every recommendation (issue 19 §1)."""
from __future__ import annotations

import decision_core
from decision_core.adapters.http.cards import detail
from decision_core.i18n.wording import kind_label

from test_reports_programme import DESK, with_programme  # the same programme as the handout's tests


def test_the_detail_lists_the_programme_and_names_the_alternatives_once():
    result = with_programme()
    text = detail(result)
    programme = text.split("**Programme**", 1)[1].split("**Worth asking next**", 1)[0]
    names = {r.id: r.name for r in result.recommendations}
    chosen = [i["id"] for phase in result.programme.to_dict()["phases"] for i in phase["items"]]
    for item_id in chosen:
        assert f"- {names[item_id]}" in programme
    assert "_Start with_" in programme and "_When that is easy_" in programme
    assert "2 sets, 10 reps, every day (starting dose: your practitioner may change it)" in programme
    alternatives = [names[a["id"]] for a in result.programme.to_dict()["alternatives"]]
    assert alternatives
    for name in alternatives:
        assert f"- {name}" not in programme, "an alternative is not a line of the programme"
    assert "Alternatives (not chosen" in programme and "For 4 weeks, review after 3 weeks." in programme


def test_the_real_programme_is_what_the_detail_lists():
    result = decision_core.evaluate(DESK)
    assert result.programme is not None and result.programme.alternatives
    programme = detail(result).split("**Programme**", 1)[1].split("**", 1)[0]
    names = {r.id: r.name for r in result.recommendations}
    for item_id in result.programme.chosen_ids:
        assert f"- {names[item_id]}" in programme
    for alt in result.programme.alternatives:
        assert f"- {names[alt.id]}" not in programme


def test_a_result_saved_without_a_programme_lists_its_recommendations_as_before():
    result = decision_core.evaluate(DESK)
    result.programme = None
    programme = detail(result).split("**Programme**", 1)[1]
    assert all(f"- {r.name} ({kind_label(r.kind)})" in programme for r in result.recommendations)
