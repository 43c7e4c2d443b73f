"""Who and where a handout is for: the clinic profile (validated, errors name the key), the
patient and clinician, per-report doses, and the local date, from the CLI and over HTTP."""
from __future__ import annotations

import base64
import json
import re
from datetime import date, datetime, timezone

import pytest
from click.testing import CliRunner

import decision_core
from decision_core.adapters.reports import render
from decision_core.adapters.reports.clinic import ClinicProfileError, Patient, load_clinic_profile
from decision_core.adapters.reports.view import build_view
from decision_core.cli.main import main
from decision_core.catalogue.dose import parse_spec

DESK = {"sitting_hours_per_day": 10, "glute_bridge_hamstring_cramp": True, "activity_level": "sedentary"}
WHEN = datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc)
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


@pytest.fixture
def profile(tmp_path):
    (tmp_path / "logo.png").write_bytes(PNG)
    path = tmp_path / "clinic.yaml"
    path.write_text(
        "name: Riverside Physiotherapy\naddress: 12 Mill Lane, Bristol\nphone: 0117 496 0123\n"
        "emergency_number: '999'\nlogo: logo.png\ntimezone: Australia/Sydney\nprogramme_weeks: 6\n"
        "doses:\n  glute_bridge: 3x12@daily\n  clamshell: {sets: 2, reps: 15, per_side: true, frequency: daily}\n",
        encoding="utf-8")
    return path


def text_of(data: bytes) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", data.decode()).split())


def test_a_profile_loads_with_its_logo_inlined_and_its_doses_structured(profile):
    clinic = load_clinic_profile(profile)
    assert clinic.name == "Riverside Physiotherapy" and clinic.logo.startswith("data:image/png;base64,")
    assert clinic.doses["glute_bridge"] == parse_spec("3x12@daily")
    assert clinic.doses["clamshell"].per_side and clinic.doses["clamshell"].basis["sets"] == "clinic"


@pytest.mark.parametrize("text, key", [
    ("name: X\ntimezone: Mars/Base\n", "timezone"),
    ("name: X\ncolour: red\n", "colour"),
    ("phone: '1'\n", "name"),
    ("name: X\ndoses:\n  clamshell: lots\n", "doses.clamshell"),
    ("name: X\ndoses:\n  glute_brige: 3x12\n", "doses.glute_brige"),
    ("name: X\nlogo: missing.png\n", "logo"),
    ("name: X\nlogo: clinic.yaml\n", "logo"),
    ("name: X\nprogramme_weeks: 0\n", "programme_weeks"),
    ("- a list\n", "mapping"),
])
def test_a_bad_profile_names_the_key(tmp_path, text, key):
    path = tmp_path / "clinic.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ClinicProfileError) as err:
        load_clinic_profile(path)
    assert key in str(err.value) and str(path) in str(err.value)


def test_the_handout_names_clinic_patient_and_clinician_and_prints_the_local_date(profile):
    result = decision_core.evaluate(DESK)
    data = render(result, "html", generated_at=WHEN, clinic=load_clinic_profile(profile),
                  patient=Patient("Jane Doe", date(1980, 4, 2), "MRN-1"), clinician="Sam Patel")
    text = text_of(data)
    for expected in ("Riverside Physiotherapy", "0117 496 0123", "Jane Doe", "2 April 1980", "MRN-1", "Sam Patel"):
        assert expected in text
    assert "1 December 2026, 10:30" in text, "23:30 UTC is the next morning in Sydney"
    assert "12 January 2027" in text, "a 6-week programme is reviewed 6 weeks after the local date"
    assert 'src="data:image/png;base64,' in data.decode()


def test_clinic_defaults_fill_what_the_sources_leave_out_and_overrides_win(profile):
    clinic = load_clinic_profile(profile)
    result = decision_core.evaluate(DESK)
    items = {i.id: i for i in build_view(result, clinic=clinic).exercises}
    # the clinic's default replaces the product's starting dose (the source's figures still come first)
    assert items["glute_bridge"].dose.sets == 3 and items["glute_bridge"].dose.basis["sets"] == "clinic"
    assert "your clinic" in items["glute_bridge"].basis and not items["glute_bridge"].starting_dose
    # a practitioner's dose for an alternative swaps it in, in the place of the chosen item doing the same job
    assert "clamshell" in {a.id for a in result.programme.alternatives}
    view = build_view(result, clinic=clinic, doses={"clamshell": parse_spec("1x20@2/week")})
    items = {i.id: i for i in view.exercises}
    assert "clamshell" in items and "glute_bridge" not in items
    assert "glute_bridge" in {a.id for a in view.programme.alternatives}
    assert items["clamshell"].dose.reps == 20 and items["clamshell"].dose.basis["reps"] == "practitioner"
    assert not items["clamshell"].dose.per_side, "an override replaces the clinic's dose"
    plain = {i.id: i for i in build_view(result).exercises}
    assert not plain["glute_bridge"].blanks and plain["glute_bridge"].starting_dose, \
        "no profile: the product's starting dose, marked as one"


def test_emergency_handout_gives_the_clinic_emergency_number(profile):
    result = decision_core.evaluate({"bladder_or_bowel_changes": True})
    text = text_of(render(result, "html", clinic=load_clinic_profile(profile)))
    assert "Call 999" in text
    assert "Call your local emergency number" in text_of(render(result, "html"))


def test_cli_flags_reach_the_handout(tmp_path, profile):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(DESK), encoding="utf-8")
    res = CliRunner().invoke(main, [
        "report", str(facts), "-f", "text", "--clinic-profile", str(profile), "--patient-name", "Jane Doe",
        "--patient-birth-date", "1980-04-02", "--patient-id", "MRN-1", "--clinician", "Sam Patel",
        "--dose", "donkey_kick=2x10+side@daily"])
    assert res.exit_code == 0, res.output
    assert "Riverside Physiotherapy" in res.output and "Jane Doe" in res.output and "Sam Patel" in res.output
    assert re.search(r"Donkey kick\n\s+Sets: 2 sets\n\s+Each set: 10 reps, each side", res.output)


@pytest.mark.parametrize("args, says", [
    (["--dose", "squat=3x"], "--dose squat"),
    (["--dose", "3x12"], "ID=DOSE"),
    (["--patient-birth-date", "02/04/1980"], "%Y-%m-%d"),
])
def test_cli_refuses_bad_people_and_doses_clearly(tmp_path, args, says):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(DESK), encoding="utf-8")
    res = CliRunner().invoke(main, ["report", str(facts), "-f", "text", *args])
    assert res.exit_code == 2 and says in res.output and "Traceback" not in res.output


def test_the_profile_comes_from_the_environment(tmp_path, profile, monkeypatch):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(DESK), encoding="utf-8")
    monkeypatch.setenv("DECISION_CORE_CLINIC_PROFILE", str(profile))
    res = CliRunner().invoke(main, ["report", str(facts), "-f", "markdown"])
    assert res.exit_code == 0 and "Riverside Physiotherapy" in res.output


def test_http_report_request_carries_patient_clinician_and_doses(profile):
    from decision_core.adapters.http import create_app

    client = create_app({"ENV": "development", "CLINIC_PROFILE": str(profile)}).test_client()
    body = {"facts": DESK, "patient": {"name": "Jane Doe", "birth_date": "1980-04-02", "identifier": "MRN-1"},
            "clinician": "Sam Patel", "doses": {"donkey_kick": "2x10+side@daily"}}
    res = client.post("/v1/reports?format=text", json=body)
    assert res.status_code == 200
    text = res.get_data(as_text=True)
    assert "Riverside Physiotherapy" in text and "Jane Doe" in text and "2 April 1980" in text
    assert "Each set: 10 reps, each side" in text
    bare = client.post("/v1/reports?format=text", json=DESK)
    assert bare.status_code == 200 and "Riverside Physiotherapy" in bare.get_data(as_text=True)


@pytest.mark.parametrize("body, field", [
    ({"facts": DESK, "doses": {"squat": "3x"}}, "doses.squat"),
    ({"facts": DESK, "doses": {"glute_brige": "3x12"}}, "doses.glute_brige"),
    ({"facts": DESK, "doses": {"squat": "1.5x12"}}, "doses.squat"),
    ({"facts": DESK, "lang": "xx"}, "lang"),
    ({"facts": DESK, "patient": {"birth_date": "1980-13-01"}}, "patient.birth_date"),
    ({"facts": DESK, "patinet": {}}, "patinet"),
])
def test_http_bad_report_request_is_a_422_naming_the_field(body, field):
    from decision_core.adapters.http import create_app

    res = create_app({"ENV": "development"}).test_client().post("/v1/reports?format=text", json=body)
    assert res.status_code == 422 and field in res.get_json()["errors"]
