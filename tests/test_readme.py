"""The README's first two commands are what a fresh clone runs, and `.ci/run` runs the second as
written: a change to one that forgets the other would test something users never run."""
from __future__ import annotations

import re

from helpers import ROOT

PIN = "pip install torch==2.13.0 && "  # first: a looser torch requirement pulls a multi-GB CUDA build


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", readme)[:2]


def test_the_readme_starts_with_the_demo_and_the_tests():
    demo, tests = readme_commands()
    assert demo.startswith(PIN) and demo.endswith("dlgrade demo")
    assert tests.startswith(PIN) and tests.endswith("python -m pytest -q")
    assert "ruff check grader" in tests and "&& mypy &&" in tests


def test_ci_runs_the_readmes_test_command_as_written():
    _, tests = readme_commands()
    ci = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if line and not line.startswith(("#", " ", "if ", "fi", "set ", "cd "))]
    assert ci == [tests]
