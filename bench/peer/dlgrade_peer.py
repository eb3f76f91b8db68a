"""dlgrade on the peer assignment: the course's own checks of the five exercises, sandbox on.

    python bench/peer/dlgrade_peer.py SUBMISSION --out DIR [--seed N] [--timeout S]

SUBMISSION is a folder holding activations.py, gradcheck.py, cnn.py and attention.py (bench/run.py
copies the variant's peer.py under each name). The manifest is the course's, narrowed to the checks
of sigmoid, sigmoid_grad, numerical_gradient, convolve2d, max_pool2d, scaled_dot_product_attention
and causal_mask, with every check's timeout capped at --timeout so that all three graders give a
runaway test the same time. Then it is ``dlgrade grade``: the same pipeline, sandbox and reports.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from grader.pipeline import Course, grade, hidden_paths_of_package, load_course, warm_judge  # noqa: E402
from grader.report import write_reports  # noqa: E402
from grader.runners.sandbox import start_template  # noqa: E402

PEER = {"activations": ("sigmoid", "sigmoid_grad"), "gradcheck": ("numerical_gradient",),
        "cnn": ("convolve2d", "max_pool2d"), "attention": ("scaled_dot_product_attention", "causal_mask")}


def peer_course(root: Path, timeout: float) -> Course:
    """The course with only the five exercises' checks, each timeout capped at ``timeout``."""
    course = load_course(root)
    assignments = []
    for a in course.manifest.assignments:
        modules = tuple(
            replace(m, checks=tuple(replace(c, timeout=min(c.timeout, timeout))
                                    for c in m.checks if c.function in PEER[m.name]))
            for m in a.modules if m.name in PEER)
        if modules:
            assignments.append(replace(a, modules=modules))
    return Course(course.root, replace(course.manifest, assignments=tuple(assignments)), course.checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    # As `dlgrade grade` starts (grader.cli.cmd_grade): the template imports in its own process
    # while the judge loads the course, and the judge's torch import runs beside the first checks.
    start_template(hidden_paths_of_package(), False)
    threading.Thread(target=warm_judge, name="dlgrade-warm", daemon=True).start()
    results = grade(peer_course(ROOT, args.timeout), Path(args.submission), seed=args.seed)
    write_reports(results, Path(args.out))
    passed = sum(c.status == "passed" for c in results.checks)
    print(json.dumps({"passed": passed, "total": len(results.checks), "score": results.score,
                      "max_score": results.max_score,
                      "statuses": sorted({c.status for c in results.checks})}), flush=True)
    return 0


if __name__ == "__main__":
    os._exit(main())  # as the dlgrade command ends (grader.cli.run): no interpreter teardown
