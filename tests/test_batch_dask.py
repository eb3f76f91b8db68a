"""The Dask executor grades a class exactly as the local one does (same gradebook, same results)."""
from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.classroom.batch import run_batch
from grader.cli import main
from grader.errors import HarnessError
from helpers import ROOT, course

distributed = pytest.importorskip("distributed", reason="the Dask executor needs dask[distributed]")

CLASS = ROOT / "examples" / "class"
SEED = 4242
# Student output (warnings) names the child's private folder, which is new in every run.
RUN_FOLDER = re.compile(r"/dlgrade-run-[^/]+/")


def _without_timings(value):
    """results.json minus what differs between any two runs: durations and the child's folder name."""
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k != "duration_s"}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    if isinstance(value, str):
        return RUN_FOLDER.sub("/dlgrade-run-X/", value)
    return value


def _student_results(out: Path) -> dict[str, dict]:
    return {p.parent.name: _without_timings(json.loads(p.read_text(encoding="utf-8")))
            for p in sorted((out / "students").glob("*/results.json"))}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local_cluster:
        yield local_cluster


def test_dask_gradebook_equals_local_on_the_example_class(tmp_path, cluster, capsys):
    local = tmp_path / "local"
    dask_out = tmp_path / "dask"
    # Both at once: the endless loop's timeouts dominate each run, and they only wait.
    with ThreadPoolExecutor(max_workers=1) as pool:
        local_run = pool.submit(run_batch, course(), CLASS, local, workers=1, seed=SEED, assignment_ids=["hw1"],
                                progress=lambda s: None)
        code = main(["--course", str(ROOT), "--lang", "en", "batch", str(CLASS), "--out", str(dask_out),
                     "--assignment", "hw1", "--seed", str(SEED), "--executor", "dask", "--scheduler",
                     cluster.scheduler_address])
        local_run.result()
    assert code == 0
    students = len(list(CLASS.iterdir()))
    assert f"{students} students: {students} graded now" in capsys.readouterr().out

    gradebook = (local / "gradebook.csv").read_text(encoding="utf-8")
    assert (dask_out / "gradebook.csv").read_text(encoding="utf-8") == gradebook
    assert len(gradebook.splitlines()) == 1 + students
    local_results = _student_results(local)
    assert set(local_results) == {p.name for p in CLASS.iterdir()}
    assert _student_results(dask_out) == local_results
    # The endless loop really ran in the sandbox on a Dask worker and cost only its check's timeout.
    carol = {c["id"]: c["status"] for c in local_results["carol_endless_loop"]["checks"]}
    assert carol["hw1.perceptron.perceptron_train.xor_never_converges"] == "timeout"
    assert (dask_out / "class_report.html").is_file()


def test_dask_resumes_like_local(tmp_path, cluster):
    subs = tmp_path / "subs"
    (subs / "frank").mkdir(parents=True)
    (subs / "dave").mkdir()
    (subs / "dave" / "activations.py").write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    out = tmp_path / "out"
    first = run_batch(course(), subs, out, seed=7, assignment_ids=["hw1"], executor="dask",
                      scheduler=cluster.scheduler_address, progress=lambda s: None)
    assert first["graded_now"] == 2
    again = run_batch(course(), subs, out, assignment_ids=["hw1"], executor="dask",
                      scheduler=cluster.scheduler_address, progress=lambda s: None)
    assert (again["graded_now"], again["skipped"], again["seed"]) == (0, 2, 7)


def test_scheduler_needs_the_dask_executor(tmp_path):
    with pytest.raises(HarnessError, match="--executor dask"):
        run_batch(course(), CLASS, tmp_path / "out", seed=1, assignment_ids=["hw1"], scheduler="tcp://127.0.0.1:1",
                  progress=lambda s: None)
