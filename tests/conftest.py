import subprocess
import sys
from pathlib import Path

import pytest

# tests/helpers.py is imported as a plain module by the test files.
sys.path.insert(0, str(Path(__file__).parent))
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def bundle(tmp_path_factory):
    """The student bundle, as `dlgrade release --student --out DIR` writes it (one per test session)."""
    out = tmp_path_factory.mktemp("bundle") / "student"
    run = subprocess.run([sys.executable, "-m", "grader.cli", "release", "--student", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    assert (out / ".dlgrade-student-bundle").is_file(), run.stdout
    return out
