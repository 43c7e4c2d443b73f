"""The batch on several processes (``--workers``) and on Dask (``--dask``): the same bytes as one
process, in the input's order, with a bounded number of chunks in flight."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from decision_core import batch
from decision_core.batch import chunks, in_order_windowed
from decision_core.catalogue.loading import load_builtin_catalogue
from decision_core.cli.main import main

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_core import generate_cases  # noqa: E402


@pytest.fixture(scope="module")
def batch_file(tmp_path_factory):
    """Generated cases with bad lines, blank lines and invalid facts mixed in."""
    lines = []
    for i, case in enumerate(generate_cases(load_builtin_catalogue(), 1200, seed=7)):
        lines.append(json.dumps(case))
        if i % 97 == 3:
            lines.append("{not json")
        if i % 131 == 5:
            lines.append("")
        if i % 151 == 9:
            lines.append(json.dumps({"pain_level": 42}))
    path = tmp_path_factory.mktemp("batch") / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(args) -> bytes:
    done = CliRunner().invoke(main, ["evaluate", "--batch", "--no-progress", *args], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return done.stdout_bytes


@pytest.fixture(scope="module")
def one_process(batch_file):
    return run([str(batch_file)])


def test_workers_give_the_one_process_output_byte_for_byte(batch_file, one_process):
    assert run(["--workers", "2", str(batch_file)]) == one_process
    assert run(["--workers", "3", str(batch_file)]) == one_process


def test_error_lines_keep_their_line_numbers_across_chunks(batch_file, one_process):
    numbers = [i for i, line in enumerate(batch_file.read_text().splitlines(), start=1) if line == "{not json"]
    errors = [json.loads(line)["line"] for line in one_process.splitlines() if b'"invalid_json"' in line]
    assert errors == numbers and numbers[-1] > batch.CHUNK_LINES  # later chunks number from the whole file


def test_workers_need_a_batch():
    done = CliRunner().invoke(main, ["evaluate", "--workers", "2", "-"], input="{}")
    assert done.exit_code == 2 and "--batch" in done.output


def test_the_window_bounds_what_is_read_ahead():
    """Input is read only as far as the window allows: a million-line file never sits in memory."""
    read = 0

    def lines():
        nonlocal read
        for i in range(10 * batch.CHUNK_LINES):
            read += 1
            yield f"{i}\n"

    window = 3
    seen = []
    for count, text in in_order_windowed(lambda first, chunk: (first, chunk), lambda h: "".join(h[1]).encode(),
                                         lines(), window):
        # when a chunk is handed out, at most `window` more chunks have been read past it
        assert read <= (len(seen) + 1 + window) * batch.CHUNK_LINES
        seen.append((count, text))
    assert b"".join(t for _, t in seen) == "".join(f"{i}\n" for i in range(10 * batch.CHUNK_LINES)).encode()


def test_chunks_number_their_first_line():
    got = list(chunks((str(i) for i in range(5)), size=2))
    assert got == [(1, ["0", "1"]), (3, ["2", "3"]), (5, ["4"])]


def test_a_dask_worker_with_other_rulesets_refuses_the_work():
    from decision_core.dask_batch import InstallationMismatch, run_chunk

    with pytest.raises(InstallationMismatch):
        run_chunk(1, ["{}"], None, (("someone-else", "9.9.9", ""),))


def test_dask_local_cluster_gives_the_one_process_output(batch_file, one_process):
    pytest.importorskip("dask.distributed", reason="the dask extra is not installed")
    assert run(["--dask", "local", "--workers", "2", str(batch_file)]) == one_process
