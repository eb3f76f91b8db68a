"""The class report's numbers: each says what its heading says."""
from __future__ import annotations

from grader.classroom.class_report import summarize
from helpers import course


def _check(check_id: str, function: str, status: str, message: str = "") -> dict:
    return {"id": check_id, "function": function, "status": status, "message": message}


def test_most_common_failures_count_students_not_checks():
    same = "mlp_forward: 3 / 12 elements differ"
    # ann fails three checks of one function with the same message; bob fails one of them.
    ann = [_check(f"hw1.mlp.mlp_forward.c{i}", "mlp_forward", "failed", same) for i in range(3)]
    bob = [_check("hw1.mlp.mlp_forward.c0", "mlp_forward", "failed", same),
           _check("hw1.mlp.two_layer_forward.lecture_xor", "two_layer_forward", "failed", "wrong sign")]
    class_data = [{"student": "ann", "status": "graded", "score": 0, "max_score": 3, "checks": ann},
                  {"student": "bob", "status": "graded", "score": 0, "max_score": 3, "checks": bob}]
    failures = summarize(class_data, course())["failures"]
    assert failures[0] == {"function": "mlp_forward", "message": "mlp_forward: # / # elements differ", "count": 2}
    assert failures[1]["count"] == 1 and failures[1]["function"] == "two_layer_forward"
