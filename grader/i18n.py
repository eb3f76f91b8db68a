"""Every student-facing word in Chinese and in English (``--lang zh|en``; the course's default is
``language:`` in assignments.yaml).

``CATALOG`` holds each text as a pair of format strings with named fields, Chinese first. Code,
identifiers and numbers are fields, so they stay as they are in both languages. A ``Text`` is one
such text in both languages; the generic messages (compare.py, context.py, gradients.py,
pipeline.py) are Texts, and a check's result keeps both (``message``/``message_zh``,
``hint``/``hint_zh`` in results.json), so that any report can be rendered in either language.

A check's own words: ``@check(id, hint={"zh": ..., "en": ...})`` (a plain string is English only),
and the parts of a message a check writes (``what`` and ``case`` of the comparers, or the whole
text of a ``CheckFailed``) may be a ``Text`` too, e.g. ``Text(zh="...", en="...")``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Text:
    """One text in both languages. ``str()`` is the English one, for code that wants a plain string."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def __add__(self, other: object) -> Text:
        return Text(self.zh + in_lang(other, "zh"), self.en + in_lang(other, "en"))

    def __radd__(self, other: object) -> Text:
        return Text(in_lang(other, "zh") + self.zh, in_lang(other, "en") + self.en)

    @property
    def translated(self) -> bool:
        return self.zh != self.en or not self.en


def in_lang(value: object, lang: str) -> str:
    """A Text in ``lang``; anything else as its string (the same in both languages)."""
    return value.get(lang) if isinstance(value, Text) else str(value)


def text(value: object) -> Text:
    """A Text, a {"zh", "en"} mapping, or a string (English only: both languages hold it)."""
    if isinstance(value, Text):
        return value
    if isinstance(value, Mapping):
        return Text(str(value.get("zh") or value.get("en") or ""), str(value.get("en") or value.get("zh") or ""))
    return Text(str(value), str(value))


def tr(key: str, **fields: Any) -> Text:
    """The catalog's text ``key`` with its fields filled in, in both languages (a Text field in each)."""
    zh, en = CATALOG[key]
    if not fields:  # a template some caller fills in later with str.format
        return Text(zh, en)
    return Text(zh.format(**{k: in_lang(v, "zh") for k, v in fields.items()}),
                en.format(**{k: in_lang(v, "en") for k, v in fields.items()}))


def join(parts: Sequence[object], sep: str = ", ") -> Text:
    return Text(sep.join(in_lang(p, "zh") for p in parts), sep.join(in_lang(p, "en") for p in parts))


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **fields)`` in one language, for templates and terminal lines."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return lambda key, **fields: tr(key, **fields).get(lang)


# Each entry: (Chinese, English). Fields in braces are code, ids, numbers or other texts.
CATALOG: dict[str, tuple[str, str]] = {
    # ---------------------------------------------------------------- report words
    "report_title": ("dlgrade 评分报告", "dlgrade report"),
    "score": ("得分", "Score"), "seed": ("随机种子", "seed"), "assignment": ("作业", "assignment"),
    "title": ("标题", "title"), "by_function": ("按函数统计", "By function"), "function": ("函数", "function"),
    "checks_passed": ("通过的检查", "checks passed"), "checks_passed_n": ("项检查通过", "checks passed"),
    "status": ("状态", "status"), "checks": ("检查明细", "Checks"), "hint": ("提示", "Hint"),
    "hint_label": ("提示：", "Hint: "), "colon": ("：", ":"),
    "see_load_error": ("无法导入 {module}.py（见上文）", "{module}.py could not be imported (see above)"),
    "printed": ("你的代码输出：", "Your code printed:"), "not_graded": ("未评分的文件", "Files not graded"),
    "total": ("总分", "TOTAL"), "to_look_at": ("需要查看的检查", "Checks to look at"),
    "not_attempted_note": ("（未作答）", "(not attempted)"),
    "visible_only": ("以上仅为公开检查；提交后还会在随机输入上运行隐藏检查。",
                     "These are the visible checks only; hidden checks on random inputs run when you hand in."),
    "class_report": ("班级报告", "Class report"), "students": ("学生", "Students"), "graded": ("已评分", "graded"),
    "mean_score": ("平均得分", "mean score"), "scores": ("成绩分布", "Scores"),
    "histogram_caption": ("各分数段的学生人数（占满分的百分比）。", "Students per score band (percent of the maximum)."),
    "histogram_label": ("成绩直方图", "histogram of scores"),
    "student": ("学生", "student"), "report": ("报告", "report"),
    "trouble": ("超时、出错与无法读取的提交", "Timeouts, errors and unreadable submissions"),
    "timeouts": ("超时", "timeouts"), "errors": ("错误", "errors"), "note": ("备注", "note"),
    "hardest": ("检查（最难的在前）", "Checks, hardest first"), "check": ("检查", "check"),
    "passed_attempted": ("通过 / 作答", "passed / attempted"), "not_attempted": ("未作答", "not attempted"),
    "common_failures": ("最常见的失败", "Most common failures"),
    "message_numbers": ("信息（数字记为 #）", "message (numbers as #)"),
    "internal_errors": ("项内部错误", "internal error(s)"),
    "unsandboxed": ("警告：这些提交是在没有沙箱的情况下运行的（--unsandboxed）：提交的代码拥有评分程序本身的权限，"
                    "可以修改它能访问的任何文件和分数。",
                    "WARNING: these submissions ran UNSANDBOXED (--unsandboxed): their code had the grader's own "
                    "rights and could have changed any file or score it can reach."),
    "passed": ("通过", "passed"), "failed": ("未通过", "failed"), "error": ("出错", "error"),
    "timeout": ("超时", "timeout"), "internal_error": ("内部错误", "internal error"),
    "visible": ("公开", "visible"), "hidden": ("隐藏", "hidden"), "invalid": ("无效", "invalid"),
    "missing": ("缺失", "missing"), "pt": ("分", "pt"),
    # Group headings of the reports, failures first.
    "group_error": ("出错", "Errors"), "group_failed": ("未通过", "Failures"), "group_timeout": ("超时", "Timeouts"),
    "group_internal_error": ("内部错误（不是你的错）", "Internal errors (not your fault)"),
    "group_passed": ("通过", "Passed"), "group_not_attempted": ("未作答", "Not attempted"),
    "group_count": ("{name}（{n}）", "{name} ({n})"),
    # Status marks of the terminal summary: [FAIL] and the like.
    "mark_passed": ("通过", "PASS"), "mark_failed": ("未通过", "FAIL"), "mark_error": ("出错", "ERROR"),
    "mark_timeout": ("超时", "TIMEOUT"), "mark_not_attempted": ("未作答", "TODO"),
    "mark_internal_error": ("内部错误", "INTERNAL"),
    # Batch with a roster (platforms): submissions no roster row matches.
    "unmatched": ("在花名册中找不到对应学生的提交", "Submissions that match no student on the roster"),
    "unmatched_note": ("它们的报告在 students/ 中，但成绩没有写入 gradebook.csv：请把文件夹改名为该学生的 SIS Login ID"
                       "（或用 --roster-column 指定列），再运行一次 batch。",
                       "Their reports are in students/, but their scores are not in gradebook.csv: rename the folder "
                       "to the student's SIS Login ID (or choose --roster-column) and run the batch again."),
    "nothing_staged": ("提交中没有找到本作业的模块或笔记本。请提交 {modules}（放在最上层或同一个文件夹中），或提交笔记本 "
                       "{notebooks}。",
                       "No module or notebook of this assignment was found in the submission. Hand in {modules} (at "
                       "the top, or in one folder), or the notebook {notebooks}."),
    # ---------------------------------------------------------------- submission mistakes, said first
    "near_misses": ("文件名问题", "File names"),
    "near_miss": ("{file}：是否应为 {expected}？该文件未评分：只有名称完全是 {expected} 的文件才会评分，请重命名。",
                  "{file}: did you mean {expected}? It was not graded: only a file named exactly {expected} "
                  "is, so rename it."),
    "load_errors": ("无法导入的模块", "Modules that could not be imported"),
    # ---------------------------------------------------------------- terminal lines
    "wrote": ("已写入 {paths}", "wrote {paths}"),
    "fail_under": ("得分 {got}% 低于 --fail-under {percent}%", "score {got}% is under --fail-under {percent}%"),
    "batch_head": ("{students} 名学生：本次评分 {now} 名，{skipped} 名已评过（随机种子 {seed}）",
                   "{students} students: {now} graded now, {skipped} already graded (seed {seed})"),
    "gradebook": ("成绩表：{path}", "gradebook: {path}"),
    "unmatched_head": ("{n} 份提交在花名册中找不到对应学生（不在 gradebook.csv 中；见班级报告）：",
                       "{n} submission(s) match no student on the roster (not in gradebook.csv; see the class report):"),
    "roster_without": ("花名册中有 {n} 名学生没有提交", "{n} roster student(s) have no submission"), "class_report_at": ("班级报告：{path}", "class report: {path}"),
    "interrupted": ("已中断；已写出的报告是完整的", "interrupted; reports already written are complete"),
    "bundle_written": ("学生包已写入 {out}：{stubs} 个练习模块、{notebooks} 个笔记本、{visible} 项公开检查（未包含 "
                       "{hidden} 项隐藏检查）",
                       "wrote the student bundle to {out}: {stubs} stub modules, {notebooks} notebooks, {visible} "
                       "visible checks ({hidden} hidden checks left out)"),
    "stubs_written": ("已将 {n} 个练习模块写入 {out}", "wrote {n} stub modules to {out}"),
    "notebooks_written": ("已将 {names} 写入 {out}", "wrote {names} to {out}"),
    "validate_ok": ("validate：通过", "validate: OK"),
    "validate_problems": ("validate：{n} 个问题", "validate: {n} problem(s)"),
    "problem": ("问题：{text}", "PROBLEM: {text}"),
    "instructor_only": ("`dlgrade {command}` 是教师命令：它需要课程的 reference/ 文件夹，而 {root} 中没有（学生包只含练习和"
                        "公开检查）。请改用 `dlgrade check` 检查你的作业。",
                        "`dlgrade {command}` is an instructor command: it needs the course's reference/ folder, which "
                        "{root} does not have (a student bundle has only the exercises and the visible checks). Run "
                        "`dlgrade check` on your work instead."),
    "no_course": ("在 {start} 及其上级文件夹中都找不到 {manifest}；请在课程文件夹中运行 dlgrade，或用 --course DIR 指定",
                  "no {manifest} found in {start} or any folder above it; run dlgrade inside the course folder or "
                  "pass --course DIR"),
    "not_a_submission": ("{source}：既不是文件夹也不是笔记本；请给出存放你的模块（perceptron.py、mlp.py……）的文件夹，"
                         "或你的笔记本（hw1.ipynb）",
                         "{source}: not a folder or a notebook; pass the folder that holds your modules "
                         "(perceptron.py, mlp.py, ...) or your notebook (hw1.ipynb)"),
    # ---------------------------------------------------------------- compare.py
    "case_line": ("\n  情形：{case}", "\n  case: {case}"),
    "case_seed": ("随机种子 {seed}", "seed {seed}"),
    "fail_head": ("{what}：{problem}", "{what}: {problem}"),
    "desc_ndarray": ("形状为 {shape}、dtype 为 {dtype} 的 numpy.ndarray", "numpy.ndarray of shape {shape} and dtype {dtype}"),
    "desc_tensor": ("形状为 {shape}、dtype 为 {dtype} 的 torch.Tensor", "torch.Tensor of shape {shape} and dtype {dtype}"),
    "desc_subclass": ("形状为 {shape} 的 {type}（ndarray 的子类）", "{type} (an ndarray subclass) of shape {shape}"),
    "desc_object": ("一个 {type} 对象", "a {type} object"),
    "desc_sequence": ("长度为 {n} 的 {type}", "a {type} of length {n}"),
    "desc_scalar": ("一个 numpy {dtype} 标量", "a numpy {dtype} scalar"),
    "desc_value": ("{type} {value}", "{type} {value}"),
    "returned_subclass": ("返回了 {got}；请返回普通的 numpy.ndarray（np.asarray(result)）",
                          "returned {got}; return a plain numpy.ndarray (np.asarray(result))"),
    "expected_ndarray": ("应返回 numpy.ndarray，实际得到 {got}", "expected a numpy.ndarray, got {got}"),
    "expected_shape": ("形状应为 {want}，实际为 {got}", "expected shape {want}, got shape {got}"),
    "expected_dtype": ("dtype 应为 {want}，实际为 {got}（保持输入的浮点类型：输入 float32，输出也是 float32）",
                       "expected dtype {want}, got {got} (keep the input's float dtype: float32 in, float32 out)"),
    "not_finite": ("有 {n} 个元素是 NaN 或 inf，第一个位于下标 {index}：{value}",
                   "{n} element(s) are NaN or inf, first at index {index}: {value}"),
    "expected_float": ("应为浮点数，实际得到 {got}", "expected a float, got {got}"),
    "expected_float_or_0d": ("应为浮点数（或 0 维数组），实际得到 {got}", "expected a float (or a 0-d array), got {got}"),
    "expected_finite_float": ("应为有限的浮点数，实际得到 {got}", "expected a finite float, got {got}"),
    "expected_tuple": ("应为含 {n} 个值的元组，实际得到 {got}", "expected a tuple of {n} values, got {got}"),
    "expected_tuple_len": ("应为含 {n} 个值的元组，实际有 {got} 个值", "expected a tuple of {n} values, got {got} values"),
    "expected_bool_array": ("应为布尔数组（dtype bool），实际 dtype 为 {dtype}",
                            "expected a boolean array (dtype bool), got dtype {dtype}"),
    "float_mismatch": ("应为 {want}，实际为 {got}（绝对误差 {err}，容差 atol={atol}，rtol={rtol}）",
                       "expected {want}, got {got} (abs error {err}, tolerance atol={atol}, rtol={rtol})"),
    "not_equal": ("应为 {want}，实际为 {got}", "expected {want}, got {got}"),
    "mismatch": ("{bad} / {n} 个元素超出 atol={atol} + rtol={rtol}*|期望值|；最大绝对误差 {abs_err}，最大相对误差 "
                 "{rel_err}；最差的位置在下标 {index}：实际 {got}，期望 {want}",
                 "{bad} / {n} elements differ beyond atol={atol} + rtol={rtol}*|expected|; max abs error {abs_err}, "
                 "max rel error {rel_err}; worst at index {index}: got {got}, expected {want}"),
    "rel_na": ("无（期望值为 0）", "n/a (expected 0)"),
    "equals_alternative": ("你的结果等于{label}", "your result equals {label}"),
    "driver_not_a_dict": ("驱动程序的回答是 {got}，而不是它应返回的描述",
                          "the driver answered with {got}, not the description it returns"),
    "driver_field_missing": ("驱动程序的回答中没有符合预期类型的 {name}（实际为 {got}）",
                             "the driver's answer has no {name} of the expected kind (got {got})"),
    # ---------------------------------------------------------------- gradients.py
    "gradient_mismatch": ("{bad} / {n} 个梯度元素不一致：最大相对误差 {rel}（容差 {tol}，下限 {floor}），最大绝对误差 "
                          "{abs_err}；最差的位置在下标 {index}：实际 {got}，期望 {want}",
                          "{bad} / {n} gradient entries differ: max relative error {rel} (tolerance {tol}, floor "
                          "{floor}), max abs error {abs_err}; worst at index {index}: got {got}, expected {want}"),
    # ---------------------------------------------------------------- context.py
    "modified_in_place": ("{function} 原地修改了它的{path}；课程约定输入永不修改：请在副本上操作（x = x.copy()）或"
                          "构造新数组（x = x + 1，而不是 x += 1）",
                          "{function} modified its {path} in place; the course's convention is that inputs are never "
                          "modified: work on a copy (x = x.copy()) or build new arrays (x = x + 1, not x += 1)"),
    "argument_n": ("第 {n} 个参数", "argument {n}"), "argument_named": ("参数 {name}", "argument {name}"),
    "timed_out": ("{where} 没有在 {seconds} 秒内返回（死循环？永远达不到停止条件的循环？）",
                  "{where} did not return within {seconds} s (an endless loop? a loop that never meets its "
                  "stopping condition?)"),
    "uses_torch": ("{where} 使用了 torch，但这是 numpy 练习：目的是你自己用数组运算搭建计算。请只用 numpy 重写；"
                   "使用 torch 时本项检查不得分。",
                   "{where} uses torch, but it is a numpy exercise: the point is to build the computation yourself "
                   "from array operations. Rewrite it with numpy only; this check gives no points while torch is used."),
    "not_implemented_yet": ("{where} 尚未实现（{message}）", "{where} is not implemented yet ({message})"),
    "is_missing": ("{where} 不存在", "{where} is missing"),
    "no_function": ("{module}.py 中没有定义函数 {function}", "{module}.py defines no function {function}"),
    "should_raise_returned": ("{call} 应当抛出 {exc}，但正常返回了", "{call} should raise {exc}, but returned normally"),
    "raised": ("{where} 抛出了 {exc}：{message}", "{where} raised {exc}: {message}"),
    "traceback_head": ("Traceback（你的代码，最近的调用在最后）：", "Traceback (your code, most recent call last):"),
    "syntax_error": ("{file}，第 {line} 行：{exc}：{message}", "{file}, line {line}: {exc}: {message}"),
    "child_problem": ("{where}：{message}", "{where}: {message}"),
    # ---------------------------------------------------------------- pipeline.py
    "policy_torch": ("{module}.py 第 {line} 行：{function} 是 numpy 练习，却用到了 torch（直接使用，或经由它调用的辅助函数、"
                     "导入时运行的代码或线程）。这一点由评分程序阅读源代码得出；用 torch 时本函数的检查不计分。",
                     "{module}.py line {line}: {function} is a numpy exercise but reaches torch (directly, or through "
                     "a helper it calls, code run at import, or a thread). The grader read this in your source; its "
                     "checks give no points while torch is used."),
    "policy_tampering": ("{module}.py 第 {line} 行：代码触及评分程序或解释器的内部机制（{what}）。这类代码所在模块的"
                         "检查一律不计分；课程代码只需计算结果。",
                         "{module}.py line {line}: the code reaches into the grader or the interpreter's machinery "
                         "({what}). No check of a module that does this gives points: course code only computes."),
    "module_missing": ("提交中没有 {module}.py", "{module}.py is not in the submission"),
    "import_timeout": ("导入 {module}.py 用时超过 {seconds} 秒", "importing {module}.py took longer than {seconds} s"),
    "import_not_implemented": ("{module}.py 在导入时抛出了 NotImplementedError",
                               "{module}.py raised NotImplementedError while being imported"),
    "import_failed": ("无法导入 {module}.py：\n{details}", "{module}.py could not be imported:\n{details}"),
    "import_failed_short": ("无法导入 {module}.py：{details}", "{module}.py could not be imported: {details}"),
    "internal_error_message": ("本项检查出现内部错误（{details}，不是你的错；请告诉老师，详情在老师的日志中）",
                               "internal error in this check ({details}; not your fault: please tell the "
                               "instructor, whose log has the details)"),
    "internal_errors_logged": ("评分时出现内部错误：结果已写出，详情见 {path}",
                               "internal errors while grading: the results are written; details in {path}"),
    "grading_failed": ("评分程序在这份提交上出错（不是你的错；请告诉老师，详情在老师的日志中）",
                       "the grader failed on this submission (not your fault: please tell the instructor, whose "
                       "log has the details)"),
    "budget_spent": ("本次评分已用完每位学生的时间预算（{seconds} 秒），剩下的检查记为超时：是否每次调用都运行到超时？",
                     "this student's grading used up its time budget ({seconds} s), so the remaining checks are "
                     "timeouts: does every call run until its timeout?"),
    "oracle_unavailable": ("本项公开检查的记录用例不包含这次调用（{name}，记录时 numpy {numpy}，随机种子 {seed}）；"
                           "提交后老师的评分程序会检查它",
                           "the recorded cases of this visible check do not cover this call of {name} (recorded with "
                           "numpy {numpy}, seed {seed}); your instructor's grader checks it when you hand in"),
    "not_in_notebook": ("笔记本中没有定义 {function}：应由{cell}来定义", "{function} is not defined in the notebook: "
                        "{cell} was expected to hold it"),
    "tagged_cell": ("标记为 '# dlgrade: {tag}' 的单元格", "the cell tagged '# dlgrade: {tag}'"),
    # ---------------------------------------------------------------- notebooks.py (staging notes)
    "nb_unreadable": ("{name}：不是可读取的 Jupyter 笔记本（{error}）", "{name}: not a readable Jupyter notebook ({error})"),
    "nb_which_assignment": ("{name}：无法判断这个笔记本属于哪个作业；请按作业命名（{names}），或从为该作业发放的笔记本开始",
                            "{name}: cannot tell which assignment this notebook is for; name it after the assignment "
                            "({names}) or start from the notebook handed out for it"),
    "nb_wrong_module": ("{name} 第 {index} 个单元格：标记为 '# dlgrade: {tag}'，但 {module} 不是 {assignment} 的模块",
                        "{name} cell {index}: tagged '# dlgrade: {tag}', but {module} is not a module of {assignment}"),
    "nb_cell_magic": ("{name} 第 {index} 个单元格：%% 单元格魔法命令，已忽略", "{name} cell {index}: a %% cell magic, ignored"),
    "nb_magics": ("{name}：忽略了 {n} 行 IPython 魔法命令或 shell 命令", "{name}: {n} IPython magic or shell line(s) ignored"),
    "nb_module_taken": ("{name}：其中 {module} 的单元格被忽略；{module} 来自 {origin}",
                        "{name}: its {module} cells are ignored; {module} comes from {origin}"),
    "py_wins": ("{module}.py（.py 模块优先于笔记本）", "{module}.py (a .py module wins over a notebook)"),
    "unreadable_file": ("{name}：无法读取（{error}）", "{name}: unreadable ({error})"),
    "not_regular_file": ("{name}：不是普通文件", "{name}: not a regular file"),
}
