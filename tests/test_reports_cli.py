"""``decision-core report``: single reports and --batch into a folder; bad facts,
unknown formats and unwritable outputs are clear errors with exit code 2 and
never leave a half-written file."""
from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from decision_core.adapters.reports import output as output_module
from decision_core.adapters.reports.output import OutputError, write_atomically
from decision_core.cli.main import main

DESK = {"activity_level": "sedentary", "sitting_hours_per_day": 10, "uses_standing_desk": False,
        "glute_bridge_hamstring_cramp": True}
SPRINTER = {"onset": "sudden", "onset_during_sprint_or_kick": True, "popping_sensation": True, "bruising": True}


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def facts_file(tmp_path):
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(DESK), encoding="utf-8")
    return path


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_report_to_a_file(runner, facts_file, tmp_path):
    out = tmp_path / "handout.html"
    res = runner.invoke(main, ["report", str(facts_file), "--format", "html", "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "Self-care at home" in html and "SELF CARE" not in html and "Underactive glutes" in html and "Glute bridge" in html
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert leftovers(tmp_path) == []


def test_report_from_stdin_to_stdout(runner):
    res = runner.invoke(main, ["report", "-", "-f", "text"], input=json.dumps(SPRINTER))
    assert res.exit_code == 0, res.output
    assert "SEE A DOCTOR OR PHYSIOTHERAPIST WITHIN DAYS" in res.stdout and "WHAT TO DO NOW" in res.stdout
    assert "YOUR PROGRAMME" not in res.stdout


def test_report_options_reach_the_format(runner, facts_file, tmp_path):
    out = tmp_path / "record.json"
    res = runner.invoke(main, ["report", str(facts_file), "-f", "fhir", "-o", str(out),
                               "--patient-reference", "Patient/42"])
    assert res.exit_code == 0, res.output
    bundle = json.loads(out.read_text(encoding="utf-8"))
    guidance = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "GuidanceResponse")
    assert guidance["subject"] == {"reference": "Patient/42"}
    res = runner.invoke(main, ["report", str(facts_file), "-f", "html", "--paper", "letter", "--title", "Ms Example"])
    assert "@page { size: letter; }" in res.stdout and "Ms Example" in res.stdout


def test_bad_facts_name_each_field_and_write_nothing(runner, tmp_path):
    out = tmp_path / "report.html"
    bad = {"age": "forty", "pain_level": 12, "favourite_colour": "blue"}
    res = runner.invoke(main, ["report", "-", "-f", "html", "-o", str(out)], input=json.dumps(bad))
    assert res.exit_code == 2
    for field in ("age", "pain_level", "favourite_colour"):
        assert field in res.stderr
    assert "Traceback" not in res.output
    assert not out.exists() and leftovers(tmp_path) == []


def test_invalid_json_is_exit_code_2(runner, tmp_path):
    out = tmp_path / "report.txt"
    res = runner.invoke(main, ["report", "-", "-f", "text", "-o", str(out)], input="{not json")
    assert res.exit_code == 2
    assert "not valid JSON" in res.stderr
    assert not out.exists()


def test_unknown_format_lists_the_available_ones(runner, facts_file, tmp_path):
    out = tmp_path / "report.docx"
    res = runner.invoke(main, ["report", str(facts_file), "-f", "docx", "-o", str(out)])
    assert res.exit_code == 2
    for name in ("json", "markdown", "text", "html", "pdf", "fhir"):
        assert name in res.stderr
    assert not out.exists()


def test_output_in_a_missing_folder_is_a_clear_error(runner, facts_file, tmp_path):
    out = tmp_path / "no" / "such" / "folder" / "report.html"
    res = runner.invoke(main, ["report", str(facts_file), "-f", "html", "-o", str(out)])
    assert res.exit_code == 2
    assert "does not exist" in res.stderr and str(out) in res.stderr
    assert not (tmp_path / "no").exists()


def test_output_that_is_a_folder_is_a_clear_error(runner, facts_file, tmp_path):
    res = runner.invoke(main, ["report", str(facts_file), "-f", "text", "-o", str(tmp_path)])
    assert res.exit_code == 2
    assert "is a folder" in res.stderr


def test_a_write_that_fails_leaves_the_old_file_and_no_temp(runner, facts_file, tmp_path, monkeypatch):
    out = tmp_path / "report.md"
    out.write_text("the earlier report", encoding="utf-8")

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output_module.os, "replace", disk_full)
    res = runner.invoke(main, ["report", str(facts_file), "-f", "markdown", "-o", str(out)])
    assert res.exit_code == 2
    assert "No space left on device" in res.stderr
    assert out.read_text(encoding="utf-8") == "the earlier report"
    assert leftovers(tmp_path) == []


def test_binary_format_refuses_a_terminal(runner, facts_file, monkeypatch):
    from decision_core.adapters.reports import command

    monkeypatch.setattr(command, "_stdout_is_terminal", lambda: True)
    res = runner.invoke(main, ["report", str(facts_file), "-f", "pdf"])
    assert res.exit_code == 2
    assert "-o FILE" in res.stderr
    assert res.stdout == ""


def test_binary_format_to_a_pipe(runner, facts_file):
    res = runner.invoke(main, ["report", str(facts_file), "-f", "pdf"])
    assert res.exit_code == 0, res.output
    assert res.stdout_bytes.startswith(b"%PDF-")


def test_write_atomically_keeps_an_existing_files_mode(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o600)
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(OutputError, match="does not exist"):
        write_atomically(tmp_path / "missing" / "x.txt", b"data")


# ------------------------------------------------------------------ --batch


def test_batch_writes_one_file_per_line_and_reports_bad_lines(runner, tmp_path):
    source = tmp_path / "cases.jsonl"
    source.write_text("\n".join([
        json.dumps(DESK),                    # line 1: ok
        "{broken",                           # line 2: not JSON
        "",                                  # line 3: blank, skipped
        json.dumps({"pain_level": "high"}),  # line 4: invalid facts
        json.dumps(SPRINTER),                # line 5: ok
    ]) + "\n", encoding="utf-8")
    folder = tmp_path / "reports"
    res = runner.invoke(main, ["report", str(source), "--batch", "-f", "text", "-o", str(folder)])
    assert res.exit_code == 1
    assert sorted(p.name for p in folder.iterdir()) == ["case-0001.txt", "case-0005.txt"]
    assert "line 2:" in res.stderr and "not valid JSON" in res.stderr
    assert "line 4:" in res.stderr and "pain_level" in res.stderr
    assert "line 3" not in res.stderr and "line 1:" not in res.stderr
    assert "2 reports written" in res.stderr and "2 lines failed" in res.stderr
    assert "SELF-CARE AT HOME" in (folder / "case-0001.txt").read_text(encoding="utf-8")
    assert "SEE A DOCTOR OR PHYSIOTHERAPIST WITHIN DAYS" in (folder / "case-0005.txt").read_text(encoding="utf-8")


def test_batch_all_good_is_exit_code_0_and_uses_the_format_extension(runner, tmp_path):
    source = tmp_path / "cases.jsonl"
    source.write_text(json.dumps(DESK) + "\n" + json.dumps({}) + "\n", encoding="utf-8")
    folder = tmp_path / "out"
    res = runner.invoke(main, ["report", str(source), "--batch", "-f", "markdown", "-o", str(folder)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in folder.iterdir()) == ["case-0001.md", "case-0002.md"]


def test_batch_needs_a_folder(runner, tmp_path):
    source = tmp_path / "cases.jsonl"
    source.write_text(json.dumps(DESK) + "\n", encoding="utf-8")
    res = runner.invoke(main, ["report", str(source), "--batch", "-f", "text"])
    assert res.exit_code == 2 and "-o DIR" in res.stderr
    a_file = tmp_path / "taken"
    a_file.write_text("x", encoding="utf-8")
    res = runner.invoke(main, ["report", str(source), "--batch", "-f", "text", "-o", str(a_file)])
    assert res.exit_code == 2 and "not a folder" in res.stderr
