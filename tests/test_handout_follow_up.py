"""The handout's follow-up link (issue 20 §3): with a record id and the clinic profile's follow_up_url,
the patient part asks "How are you getting on?" and links the clinic's follow-up form for that record
(?record=<id>), in every human format and in the reader's language; without either, or while the
programme is on hold, no such line."""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

import decision_core
from decision_core.adapters.reports import render
from decision_core.adapters.reports.clinic import ClinicProfile, ClinicProfileError, load_clinic_profile
from decision_core.i18n.translations import get_translator

DESK = {"sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True, "activity_level": "sedentary"}
URGENT = {"leg_weakness": True}
RECORD = "0123456789abcdef0123456789abcdef"
FORM = "https://physio.example/follow-up?clinic=bristol"
LINK = f"{FORM}&record={RECORD}"
ASK = "How are you getting on? Tell us in 2 minutes:"
CLINIC = ClinicProfile(name="Riverside Physiotherapy", follow_up_url=FORM)


def handout(facts: dict, fmt: str, *, record: str | None = RECORD, clinic: ClinicProfile | None = CLINIC,
            lang: str = "en") -> str:
    result = decision_core.evaluate(facts).to_dict() | ({"record_id": record} if record else {})
    data = render(result, fmt, clinic=clinic, lang=lang)
    if fmt == "pdf":
        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return data.decode()


def patient_part(text: str, lang: str = "en") -> str:
    heading = get_translator(lang).gettext("Practitioner summary")
    return re.split(re.escape(heading), text, flags=re.I)[0]


def test_the_profile_takes_a_follow_up_url_and_refuses_a_bad_one(tmp_path):
    path = tmp_path / "clinic.yaml"
    path.write_text(f"name: X\nfollow_up_url: {FORM}\n", encoding="utf-8")
    assert load_clinic_profile(path).follow_up_url == FORM
    for bad in ("not a url", "ftp://physio.example/f", "javascript:alert(1)"):
        path.write_text(f"name: X\nfollow_up_url: '{bad}'\n", encoding="utf-8")
        with pytest.raises(ClinicProfileError, match="follow_up_url"):
            load_clinic_profile(path)


def test_the_link_keeps_the_clinics_query_and_carries_the_record_once():
    assert CLINIC.follow_up_link(RECORD) == LINK
    again = ClinicProfile(name="X", follow_up_url=f"{FORM}&record=old#top")
    assert again.follow_up_link(RECORD) == f"{FORM}&record={RECORD}#top"
    assert CLINIC.follow_up_link(None) is None
    assert ClinicProfile(name="X").follow_up_link(RECORD) is None


@pytest.mark.parametrize("fmt", ["markdown", "text", "html", "pdf"])
def test_every_format_carries_the_line_in_the_patient_part(fmt):
    text = handout(DESK, fmt)
    patient = patient_part(text)
    flat = "".join(patient.split())  # the PDF may wrap the address
    assert "".join(ASK.split()) in flat and LINK.replace("&", "&amp;" if fmt == "html" else "&") in flat
    assert text.count(ASK) == 1  # once, and not in the practitioner part
    if fmt == "html":
        assert f'href="{LINK.replace("&", "&amp;")}"' in patient


@pytest.mark.parametrize("fmt", ["markdown", "text", "html", "pdf"])
@pytest.mark.parametrize("record, clinic", [(None, CLINIC), (RECORD, None), (RECORD, ClinicProfile(name="X"))],
                         ids=["no-record", "no-clinic", "no-url"])
def test_no_line_without_a_record_or_a_follow_up_url(fmt, record, clinic):
    text = handout(DESK, fmt, record=record, clinic=clinic)
    assert "How are you getting on" not in text and "record=" not in text


def test_no_line_while_the_programme_is_on_hold():
    result = decision_core.evaluate(URGENT)
    assert result.programme_on_hold
    for fmt in ("markdown", "html"):
        assert "How are you getting on" not in handout(URGENT, fmt)


def test_the_line_is_in_spanish():
    asked = get_translator("es").gettext(ASK)
    assert asked != ASK and "¿" in asked
    for fmt in ("markdown", "pdf"):
        flat = "".join(patient_part(handout(DESK, fmt, lang="es"), "es").split())
        assert "".join(asked.split()) in flat and LINK in flat


def test_the_http_handout_links_the_record_it_kept(tmp_path):
    from decision_core.adapters.http import create_app

    profile = tmp_path / "clinic.yaml"
    profile.write_text(f"name: Riverside Physiotherapy\nfollow_up_url: {FORM}\n", encoding="utf-8")
    app = create_app({"ENV": "production", "API_KEYS": ["k"], "ADMIN_KEYS": ["admin"], "RECORD": True,
                      "CLINIC_PROFILE": str(profile), "DATABASE_URL": f"sqlite:///{tmp_path}/record.sqlite3",
                      "RECORD_SPOOL_DIR": str(tmp_path / "spool")})
    client = app.test_client()
    answer = client.post("/v1/reports?format=markdown", json={"facts": DESK}, headers={"X-API-Key": "k"})
    assert answer.status_code == 200
    found = re.search(rf"<{re.escape(FORM)}&record=([0-9a-f]{{32}})>", answer.get_data(as_text=True))
    assert found, "the handout links the follow-up form"
    assert app.extensions["decision_core"].recorder.settle()
    record = client.get(f"/v1/records/{found.group(1)}", headers={"X-API-Key": "admin"})
    assert record.status_code == 200 and record.get_json()["source"] == "report"
    # the follow-up the clinic's form sends back lands on that record
    sent = client.post(f"/v1/records/{found.group(1)}/follow-ups", json={"groc": 3, "adherence": "all"},
                       headers={"X-API-Key": "k"})
    assert sent.status_code == 201
