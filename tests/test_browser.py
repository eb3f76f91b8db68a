"""The HTML reports render in headless Chromium without console errors (.ci/run installs chromium)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from grader.classroom.batch import run_batch
from grader.report import write_reports
from helpers import ROOT, SEED, course, grade_inprocess, submission_with

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
# Flags that keep Chromium off the network it cannot reach here and out of the machine's profile.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--window-size=1200,1600"]


def screenshot(page: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    shot = tmp_path / (page.stem + ".png")
    run = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                          f"--screenshot={shot}", page.resolve().as_uri()],
                         capture_output=True, text=True, timeout=120)
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    return shot, console


def test_student_report_renders_without_console_errors(tmp_path):
    sub = submission_with(tmp_path / "sub", "mlp", """
        def mlp_forward(X, weights, biases, activation="relu"):
            print("<script>alert(1)</script>")
            return X
    """)
    results = grade_inprocess(sub, ["mlp"], seed=SEED)
    paths = write_reports(results, tmp_path / "out")
    shot, console = screenshot(paths["html"], tmp_path)
    assert console == []
    assert shot.is_file() and shot.stat().st_size > 10_000


def test_class_report_renders_without_console_errors(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copytree(ROOT / "examples" / "class" / "bob_mistakes", subs / "bob")
    (subs / "amy").mkdir()
    shutil.copy(ROOT / "reference" / "mlp.py", subs / "amy" / "mlp.py")
    out = tmp_path / "class"
    run_batch(course(), subs, out, workers=1, seed=SEED, assignment_ids=["hw1"], progress=lambda s: None)
    shot, console = screenshot(out / "class_report.html", tmp_path)
    assert console == []
    assert shot.is_file() and shot.stat().st_size > 10_000
