"""The sandbox's tests and attacks once more in every other setting a root machine can produce:
as a normal user, and without namespaces as root and as a normal user (tests/modes.py).

The three runs go at the same time: most of their time is children waiting out their timeouts,
and concurrent grading is itself part of what must hold.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

SANDBOX_TESTS = ["tests/test_sandbox.py", "tests/test_sandbox_attacks.py", "tests/test_sandbox_layers.py"]
# The 35 older attacks run again as a normal user (the setting the issue names); every setting runs
# the sandbox's own tests and the attacks on the sandbox itself.
EXTRA = {"user": ["tests/test_adversarial.py"]}
OTHER_MODES = ["user", "root-no-namespaces", "user-no-namespaces"]
BUDGET_S = 900

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="producing the other settings needs root "
                                                          "(tests/modes.py); this run is one of them")


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess]:
    started = {}
    for mode in OTHER_MODES:
        command = [sys.executable, str(ROOT / "tests" / "modes.py"), mode, "--", sys.executable, "-m", "pytest",
                   "-q", "-p", "no:cacheprovider", "-o", "addopts=", *SANDBOX_TESTS, *EXTRA.get(mode, [])]
        started[mode] = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         text=True)
    done = {}
    for mode, proc in started.items():
        out, _ = proc.communicate(timeout=BUDGET_S)
        done[mode] = subprocess.CompletedProcess(proc.args, proc.returncode, out)
    return done


@pytest.mark.parametrize("mode", OTHER_MODES)
def test_every_attack_fails_in_this_mode_too(mode, runs):
    run = runs[mode]
    tail = "\n".join(run.stdout.splitlines()[-40:])
    assert run.returncode == 0, f"{mode}:\n{tail}"
    assert " passed" in tail and "failed" not in tail and "error" not in tail.split("passed")[-1], tail
    # The mode is the one the setting should give (test_sandbox_attacks checks it inside the run).
    assert "test_the_mode_is_the_one_this_machine_should_give" not in tail


def test_the_launcher_refuses_an_unknown_mode():
    run = subprocess.run([sys.executable, str(Path(__file__).parent / "modes.py"), "rootless", "--", "true"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
