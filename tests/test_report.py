"""Reports: every format renders, and nothing from a submission escapes its place."""
from __future__ import annotations

import json

from grader.report import md_code, terminal_summary, write_reports
from grader.results import AssignmentResult, CheckResult, Results

HOSTILE = "<script>alert('x')</script>\n```\n# heading\x1b[2J\x07 | pipe"


def results() -> Results:
    checks = [
        CheckResult("hw1.mlp.two_layer_forward.lecture_xor", "hw1", "mlp", "two_layer_forward", "visible",
                    "passed", 2, 2),
        CheckResult("hw1.mlp.mlp_forward.depths", "hw1", "mlp", "mlp_forward", "hidden", "failed", 0, 1,
                    message="mlp_forward: 2 / 6 elements differ " + HOSTILE, hint="Loop over all layers.",
                    output=HOSTILE),
        CheckResult("hw1.mlp.xor_params.solves_xor", "hw1", "mlp", "xor_params", "visible", "timeout", 0, 2,
                    message="did not return within 10 s"),
    ]
    return Results(submission="student<1>", seed=42,
                   assignments=[AssignmentResult("hw1", "Part one", "第一部分", 2, 5)], checks=checks)


def test_results_json_has_the_documented_shape(tmp_path):
    write_reports(results(), tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["schema"] == 1 and data["score"] == 2 and data["max_score"] == 5 and data["seed"] == 42
    assert data["assignments"][0].keys() >= {"id", "score", "max_score"}
    assert data["checks"][0].keys() >= {"id", "assignment", "module", "function", "visibility", "status",
                                        "score", "max_score", "message", "duration_s"}


def test_html_escapes_everything_from_the_submission(tmp_path):
    write_reports(results(), tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "\x1b" not in html and "student&lt;1&gt;" in html


def test_markdown_fences_cannot_be_closed_by_the_content(tmp_path):
    write_reports(results(), tmp_path)
    md = (tmp_path / "report.md").read_text()
    block = md_code(HOSTILE)
    assert block.startswith("````text") and block.endswith("````")
    assert block in md and "\x1b" not in md


def test_terminal_summary_per_assignment_and_function():
    text = terminal_summary(results())
    assert "hw1  Part one  2 / 5" in text
    assert "mlp.two_layer_forward" in text and "mlp.mlp_forward" in text
    assert "[FAIL] hw1.mlp.mlp_forward.depths" in text and "Hint: Loop over all layers." in text
    assert "[TIMEOUT] hw1.mlp.xor_params.solves_xor" in text
    assert "\x1b" not in text and "\x07" not in text


def test_chinese_reports(tmp_path):
    write_reports(results(), tmp_path, lang="zh")
    html = (tmp_path / "report.html").read_text()
    assert '<html lang="zh">' in html and "按函数统计" in html and "第一部分" in html
    assert "得分" in (tmp_path / "report.md").read_text()
    text = terminal_summary(results(), lang="zh")
    assert "总分 2 / 5" in text and "提示：Loop over all layers." in text
    assert "[未通过] hw1.mlp.mlp_forward.depths" in text and "[超时]" in text and "[FAIL]" not in text


def ordered() -> Results:
    """One check of each status, in course order: the passed one first, as a course lists them."""
    statuses = ["passed", "not_attempted", "failed", "timeout", "error", "internal_error"]
    checks = [CheckResult(f"hw1.mlp.f.c{i}_{s}", "hw1", "mlp", "f", "visible", s, 2 if s == "passed" else 0, 2,
                          message=f"message of {s}" if s != "passed" else "")
              for i, s in enumerate(statuses)]
    return Results(submission="s", seed=1, assignments=[AssignmentResult("hw1", "One", "一", 2, 12)], checks=checks)


def _positions(text: str, statuses: list[str]) -> list[int]:
    return [text.index(f"_{s}") for s in statuses]


def test_reports_list_errors_failures_timeouts_then_passes_and_not_attempted(tmp_path):
    order = ["error", "failed", "timeout", "internal_error", "passed", "not_attempted"]
    write_reports(ordered(), tmp_path)
    md, html = (tmp_path / "report.md").read_text(), (tmp_path / "report.html").read_text()
    for text in (md, html):
        positions = _positions(text, order)
        assert positions == sorted(positions), positions
    assert "### Errors (1)" in md and "### Passed (1)" in md and "<details><summary>Not attempted (1)</summary>" in md
    # HTML: one <details> per group below its summary; the groups to act on are open, the others closed.
    assert '<details class="group" open>\n<summary><span class="error">Errors (1)' in html
    assert '<details class="group">\n<summary><span class="passed">Passed (1)' in html
    text = terminal_summary(ordered())
    positions = [text.index(f"[{mark}]") for mark in ("ERROR", "FAIL", "TIMEOUT", "INTERNAL")]
    assert positions == sorted(positions) and text.index("Internal errors") < text.index("Passed (1)")


def test_misnamed_files_and_import_errors_are_said_first(tmp_path):
    r = results()
    r.staging = {"near_misses": [{"file": "MLP.py", "expected": "mlp.py"}],
                 "load_errors": [{"module": "cnn", "message": "cnn.py could not be imported:\ncnn.py, line 3: "
                                  "SyntaxError: invalid syntax\n    def f(:\n          ^", "message_zh": ""}],
                 "dropped": ["MLP.py"], "dropped_zh": ["MLP.py"]}
    text = terminal_summary(r, details=False)
    head = text[:text.index("hw1  Part one")]
    assert "MLP.py: did you mean mlp.py?" in head and "line 3: SyntaxError" in head and "          ^" in head
    write_reports(r, tmp_path, lang="zh")
    md = (tmp_path / "report.md").read_text()
    assert md.index("MLP.py：是否应为 mlp.py？") < md.index("按函数统计")
    html = (tmp_path / "report.html").read_text()
    assert html.index("是否应为 mlp.py") < html.index("<table>")
