"""grader/checks/ is exempt from ruff's E501 only for its bilingual texts (pyproject.toml): ruff counts a
CJK character as two columns. This holds those files to the project's 120 counting every character as
one, so a line without Chinese is held exactly as ruff would hold it."""
from __future__ import annotations

from helpers import ROOT

LIMIT = 120  # [tool.ruff] line-length


def over_limit(source: str) -> list[int]:
    return [n for n, line in enumerate(source.splitlines(), 1) if len(line) > LIMIT]


def test_check_modules_stay_within_the_line_length():
    long = {path.name: lines for path in sorted((ROOT / "grader" / "checks").glob("*.py"))
            if (lines := over_limit(path.read_text(encoding="utf-8")))}
    assert long == {}


def test_the_guard_sees_a_long_code_line_and_lets_a_bilingual_one_pass():
    assert over_limit("x = 1\n" + "y = " + "1 + " * 40 + "1\n") == [2]
    bilingual = 'Text("' + "中" * 40 + '", "' + "e" * 60 + '")'  # 112 characters, 152 columns for ruff
    assert over_limit(bilingual) == []
