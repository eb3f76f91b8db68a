"""The class report: score histogram, per-check pass rates (hardest first), the most common
failure messages, and the students whose code timed out, crashed or could not be graded."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from ..i18n import translator
from ..pipeline import Course
from ..report import environment
from ..results import write_text_atomic
from ..statuses import EntryStatus, Status

_NUMBERS = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")


def _message(record: dict[str, Any], lang: str) -> str:
    return (record.get("message_zh") or record.get("message") or "") if lang == "zh" else record.get("message") or ""


def summarize(class_data: list[dict[str, Any]], course: Course, lang: str = "en") -> dict[str, Any]:
    graded = [r for r in class_data if r["status"] == EntryStatus.GRADED]
    max_score = max((r.get("max_score", 0.0) for r in graded), default=0.0)
    percents = [100.0 * r["score"] / r["max_score"] for r in graded if r.get("max_score")]
    bins = [0] * 10
    for p in percents:
        bins[min(int(p // 10), 9)] += 1
    per_check: dict[str, dict[str, Any]] = {}
    # (function, message) -> the students who got it: one student failing several checks with the
    # same message counts once, since the column answers "how many students hit this".
    failures: dict[tuple[str, str], set[str]] = {}
    trouble = []
    for r in graded:
        statuses: Counter[str] = Counter()
        for c in r.get("checks", []):
            row = per_check.setdefault(c["id"], {"id": c["id"], "passed": 0, "total": 0, "attempted": 0})
            row["total"] += 1
            row["passed"] += c["status"] == Status.PASSED
            row["attempted"] += c["status"] != Status.NOT_ATTEMPTED
            statuses[c["status"]] += 1
            if c["status"] in (Status.FAILED, Status.ERROR, Status.TIMEOUT):
                message = _message(c, lang)
                first = message.splitlines()[0] if message else translator(lang)(c["status"])
                failures.setdefault((c["function"], _NUMBERS.sub("#", first)[:160]), set()).add(r["student"])
        if statuses["timeout"] or statuses["error"] or statuses["internal_error"]:
            trouble.append({"student": r["student"], "timeout": statuses["timeout"],
                            "error": statuses["error"], "internal_error": statuses["internal_error"]})
    for row in per_check.values():
        # Among students who tried: a check nobody attempted says nothing about its difficulty.
        row["rate"] = row["passed"] / row["attempted"] if row["attempted"] else 0.0
    invalid = [{"student": r["student"], "message": _message(r, lang)} for r in class_data
               if r["status"] != EntryStatus.GRADED]
    return {
        "students": class_data, "graded": len(graded), "max_score": max_score, "bins": bins,
        "checks": sorted(per_check.values(), key=lambda r: (r["attempted"] == 0, r["rate"], r["id"])),
        "failures": [{"function": f, "message": m, "count": len(who)} for (f, m), who in
                     sorted(failures.items(), key=lambda item: (-len(item[1]), item[0]))[:15]],
        "trouble": trouble, "invalid": invalid,
        "mean": sum(percents) / len(percents) if percents else 0.0,
    }


def histogram_svg(bins: list[int]) -> dict[str, Any]:
    """Geometry for an inline SVG bar chart (the template draws it; no plotting library needed)."""
    top = max(bins) or 1
    bars = [{"x": 40 + i * 44, "h": 160 * n / top, "n": n, "label": f"{i * 10}-{i * 10 + 10}%"}
            for i, n in enumerate(bins)]
    return {"bars": bars, "top": top}


def write_class_report(path: Path, class_data: list[dict[str, Any]], course: Course, lang: str = "en",
                       unmatched: list[dict[str, str]] | None = None) -> None:
    """``unmatched``: submissions that match no roster student (batch --roster), listed for the
    instructor since their scores are not in the gradebook."""
    summary = summarize(class_data, course, lang)
    summary["unmatched"] = list(unmatched or [])
    html = environment().get_template("class_report.html.j2").render(
        s=summary, hist=histogram_svg(summary["bins"]), t=translator(lang), lang=lang)
    write_text_atomic(path, html)
