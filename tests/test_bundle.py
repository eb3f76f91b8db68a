"""The student bundle's visible checks: recorded cases instead of oracle code, judged as the full
grader judges, and nothing in the bundle that earns a hidden-check point."""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

from grader.authoring.recording import verdicts
from helpers import ROOT, course, submission_with

BUNDLE_VERDICTS = """\
import json, sys
from pathlib import Path
from grader.pipeline import load_course
from grader.authoring.recording import verdicts
course = load_course(Path.cwd())
cases = json.loads(Path(sys.argv[1]).read_text())
print(json.dumps({key: verdicts(course, Path(folder), *rest) for key, (folder, *rest) in cases.items()}))
"""


def wrong_implementations():
    """(module, function, flaw, source) of every deliberate mistake in tests/test_<module>.py."""
    for _, module in course().manifest.modules:
        table = getattr(importlib.import_module(f"test_{module.name}"), "WRONG", {})
        for key, value in table.items():
            if isinstance(value, dict):
                for flaw, source in value.items():
                    yield module.name, key, flaw, source
            else:  # one contract function (transformer.EncoderLayer): {flaw: source}
                assert len(module.functions) == 1, f"test_{module.name}.WRONG names no function for {key}"
                yield module.name, module.functions[0], key, value


def in_bundle_verdicts(bundle: Path, cases: dict, tmp_path: Path) -> subprocess.Popen:
    """The bundle's grader judging ``cases`` in another process (read its JSON with ``result``)."""
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    env = {**os.environ, "PYTHONPATH": str(bundle), "PYTHONNOUSERSITE": "1"}
    return subprocess.Popen([sys.executable, "-c", BUNDLE_VERDICTS, str(tmp_path / "cases.json")], cwd=bundle,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=900)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_the_bundle_judges_like_the_full_grader(bundle, tmp_path):
    cases = {"reference": [str(ROOT / "reference")], "stubs": [str(bundle / "exercises")]}
    for i, (module, function, flaw, source) in enumerate(wrong_implementations()):
        folder = submission_with(tmp_path / f"wrong{i}", module, source)
        # The checks of the wrong function: its module's other checks see the reference, as above.
        cases[f"{module}.{function}: {flaw}"] = [str(folder), [module], function]
    assert len(cases) > 100
    running = in_bundle_verdicts(bundle, cases, tmp_path)  # meanwhile, the full grader here
    full = {key: verdicts(course(), Path(folder), *rest) for key, (folder, *rest) in cases.items()}
    inside = result(running)
    differ = [f"{key} / {check}: full grader {want[0]}, bundle {inside[key].get(check, ['nothing'])[0]}\n"
              f"  full:   {want[1][:400]}\n  bundle: {inside[key].get(check, ['', ''])[1][:400]}"
              for key in cases for check, want in full[key].items() if inside[key].get(check) != want]
    assert not differ, "\n".join(differ)
    caught = sum(any(s != "passed" for s, _ in full[key].values()) for key in cases if ":" in key)
    print(f"{len(cases) - 2} wrong implementations, {caught} of them caught by a visible check")


def test_no_function_in_the_bundle_earns_a_hidden_point(bundle, tmp_path):
    # tests/mining.py: every function of the bundle outside exercises/ as every contract function it fits,
    # graded by the full grader on that function's hidden checks (in its own process: see there why).
    out = tmp_path / "mining.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}  # fork-safe: no thread pools
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "mining.py"), str(bundle), str(out)], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(out.read_text())
    print({k: v for k, v in report.items() if k not in ("leaks", "problems")}, *report["problems"], sep="\n")
    assert report["candidates"] > 500 and report["pairs"] > 5000, report
    # The reference's own sign, mined the same way, earns its hidden point: the miner can see a leak.
    assert report["control"] == ["perceptron.sign: hw1.perceptron.sign.random"], report["control"]
    assert not [p for p in report["problems"] if p.startswith("the reference passes")], report["problems"]
    assert not report["leaks"], "\n".join(report["leaks"])


def test_the_miner_finds_a_planted_solution(bundle, tmp_path):
    # The mining test must be able to fail: a copy of the bundle with the reference's sign in a helper module.
    import shutil

    planted = tmp_path / "planted"
    shutil.copytree(bundle, planted, ignore=shutil.ignore_patterns("notebooks", "exercises"))
    (planted / "grader" / "planted.py").write_text("import numpy as np\n\n\ndef _helper(z):\n"
                                                   "    return np.where(z >= 0, 1.0, -1.0).astype(z.dtype)\n")
    sys.path.insert(0, str(ROOT / "tests"))
    import mining

    found = [c for c in mining.candidates(planted) if c.label.startswith("grader/planted.py")]
    assert [c.label for c in found] == ["grader/planted.py:4 _helper"]
    target = next(t for t in mining.targets(course()) if (t.module, t.function) == ("perceptron", "sign"))
    shutil.copytree(ROOT / "reference", tmp_path / "reference")
    grader = mining.Grader(course(), tmp_path / "reference")
    assert grader.hidden_points(found[0], target) == ["hw1.perceptron.sign.random"]


def test_an_unrecorded_call_is_an_internal_error_that_says_why(bundle):
    # A visible check whose inputs differ from the recorded ones (another numpy's random stream, say):
    # not the student's fault, and the message says what happened.
    code = ("import json; from grader.oracles import oracle; from grader.pipeline import run_one, load_course; "
            "from pathlib import Path; import numpy as np\n"
            "lookup = oracle.replay('mlp._mlp')\n"
            "try:\n    lookup(np.ones((2, 2)), [np.eye(2)], [np.zeros(2)], 'relu')\n"
            "except Exception as exc:\n    print(json.dumps([type(exc).__name__, exc.text.en, exc.text.zh]))\n")
    env = {**os.environ, "PYTHONPATH": str(bundle), "PYTHONNOUSERSITE": "1"}
    run = subprocess.run([sys.executable, "-c", code], cwd=bundle, env=env, capture_output=True, text=True, timeout=300)
    name, en, zh = json.loads(run.stdout.strip().splitlines()[-1])
    assert name == "OracleUnavailable" and "do not cover this call of mlp._mlp" in en and "记录用例" in zh


def test_run_one_reports_an_unrecorded_call_as_an_internal_error():
    from grader.i18n import Text, tr
    from grader.oracles import OracleUnavailable
    from grader.pipeline import run_one
    from grader.registry import CheckDef

    def unrecorded(ctx):
        raise OracleUnavailable(tr("oracle_unavailable", name="mlp._mlp", numpy="2.4", seed=0))

    spec = course().manifest.checks[0]
    result = run_one(CheckDef(spec.id, unrecorded, Text("", ""), "here"), spec, None, 0)
    assert result.status == "internal_error" and "do not cover this call of mlp._mlp" in result.message
    assert "记录用例" in result.message_zh
