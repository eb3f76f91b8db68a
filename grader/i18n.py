"""The words of the reports in English and Chinese (``--lang en|zh``).

Report text around the results is translated; assignment titles come from assignments.yaml in
both languages. Check messages and hints stay as the checks wrote them (English, with the
lecture's Chinese terms), since they quote code, shapes and numbers.
"""
from __future__ import annotations

from typing import Callable

LANGUAGES = ("en", "zh")

CATALOG: dict[str, dict[str, str]] = {
    "en": {
        "report_title": "dlgrade report", "score": "Score", "seed": "seed", "assignment": "assignment",
        "title": "title", "by_function": "By function", "function": "function", "checks_passed": "checks passed",
        "checks_passed_n": "checks passed", "status": "status", "checks": "Checks", "hint": "Hint",
        "printed": "Your code printed:", "not_graded": "Files not graded", "total": "TOTAL",
        "to_look_at": "Checks to look at", "not_attempted_note": "(not attempted)",
        "visible_only": "These are the visible checks only; hidden checks on random inputs run when you hand in.",
        "class_report": "Class report", "students": "Students", "graded": "graded", "mean_score": "mean score",
        "scores": "Scores", "histogram_caption": "Students per score band (percent of the maximum).",
        "student": "student", "report": "report", "trouble": "Timeouts, errors and unreadable submissions",
        "timeouts": "timeouts", "errors": "errors", "note": "note", "hardest": "Checks, hardest first",
        "check": "check", "passed_attempted": "passed / attempted", "not_attempted": "not attempted",
        "common_failures": "Most common failures", "message_numbers": "message (numbers as #)",
        "internal_errors": "internal error(s)",
        "unsandboxed": "WARNING: these submissions ran UNSANDBOXED (--unsandboxed): their code had the "
                       "grader's own rights and could have changed any file or score it can reach.",
        "passed": "passed", "failed": "failed", "error": "error", "timeout": "timeout",
        "internal_error": "internal error", "visible": "visible", "hidden": "hidden",
        "unmatched": "Submissions that match no student on the roster",
        "unmatched_note": "Their reports are in students/, but their scores are not in gradebook.csv: rename the "
                          "folder to the student's SIS Login ID (or choose --roster-column) and run the batch again.",
        "nothing_staged": "No module or notebook of this assignment was found in the submission. Hand in "
                          "{modules} (at the top, or in one folder), or the notebook {notebooks}.",
    },
    "zh": {
        "report_title": "dlgrade 评分报告", "score": "得分", "seed": "随机种子", "assignment": "作业",
        "title": "标题", "by_function": "按函数统计", "function": "函数", "checks_passed": "通过的检查",
        "checks_passed_n": "项检查通过", "status": "状态", "checks": "检查明细", "hint": "提示",
        "printed": "你的代码输出：", "not_graded": "未评分的文件", "total": "总分",
        "to_look_at": "需要查看的检查", "not_attempted_note": "（未作答）",
        "visible_only": "以上仅为公开检查；提交后还会在随机输入上运行隐藏检查。",
        "class_report": "班级报告", "students": "学生", "graded": "已评分", "mean_score": "平均得分",
        "scores": "成绩分布", "histogram_caption": "各分数段的学生人数（占满分的百分比）。",
        "student": "学生", "report": "报告", "trouble": "超时、出错与无法读取的提交",
        "timeouts": "超时", "errors": "错误", "note": "备注", "hardest": "检查（最难的在前）",
        "check": "检查", "passed_attempted": "通过 / 作答", "not_attempted": "未作答",
        "common_failures": "最常见的失败", "message_numbers": "信息（数字记为 #）",
        "internal_errors": "项内部错误",
        "unsandboxed": "警告：这些提交是在没有沙箱的情况下运行的（--unsandboxed）：提交的代码拥有评分程序本身的权限，"
                       "可以修改它能访问的任何文件和分数。",
        "passed": "通过", "failed": "未通过", "error": "出错", "timeout": "超时",
        "internal_error": "内部错误", "visible": "公开", "hidden": "隐藏",
        "unmatched": "在花名册中找不到对应学生的提交",
        "unmatched_note": "它们的报告在 students/ 中，但成绩没有写入 gradebook.csv：请把文件夹改名为该学生的 "
                          "SIS Login ID（或用 --roster-column 指定列），再运行一次 batch。",
        "nothing_staged": "提交中没有找到本作业的模块或笔记本。请提交 {modules}（放在最上层或同一个文件夹中），"
                          "或提交笔记本 {notebooks}。",
    },
}


def translator(lang: str) -> Callable[[str], str]:
    if lang not in CATALOG:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    words = CATALOG[lang]
    return lambda key: words.get(key, CATALOG["en"][key])
