"""What a check sees (grader/context.py): per-check seeds, calls into the student's code through a
runner, and what each kind of reply does to the check. A scripted runner stands in for the child."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from grader.context import Context, check_seed
from grader.errors import CheckFailed, StudentCodeStopped
from grader.manifest import CheckSpec
from grader.statuses import ReplyStatus, Status
from grader.runners.base import Reply

SPEC = CheckSpec(id="mlp.relu.values", assignment="hw1", module="mlp", function="relu", points=1.0,
                 visibility="visible", timeout=5.0, line=1, torch_functions=("train_torch",))


class ScriptedRunner:
    """Answers each request with the next scripted reply (or a function of the request) and keeps
    what it was asked."""

    def __init__(self, *replies: Reply | Any) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    def _answer(self, **request: Any) -> Reply:
        self.requests.append(request)
        reply = self.replies.pop(0)
        return reply(**request) if callable(reply) else reply

    def load(self, module: str, timeout: float) -> Reply:
        return self._answer(kind="load", module=module)

    def call(self, module: str, function: str, args: list, kwargs: dict, timeout: float,
             echo_args: bool = False, forbid: tuple[str, ...] = ()) -> Reply:
        return self._answer(kind="call", module=module, function=function, args=args, kwargs=kwargs,
                            timeout=timeout, echo_args=echo_args, forbid=forbid)

    def drive(self, module: str, driver: str, payload: Any, timeout: float, forbid: tuple[str, ...] = ()) -> Reply:
        return self._answer(kind="drive", module=module, driver=driver, payload=payload, forbid=forbid)

    def close(self) -> None:
        pass


def ok(value: Any = None, **fields: Any) -> Reply:
    return Reply(ReplyStatus.OK, value=value, **fields)


def test_a_checks_seed_depends_on_the_run_seed_and_its_own_id_only():
    assert check_seed(7, "mlp.relu.values") == check_seed(7, "mlp.relu.values")
    assert len({check_seed(7, "mlp.relu.values"), check_seed(8, "mlp.relu.values"),
                check_seed(7, "mlp.relu.grad")}) == 3
    a = Context(SPEC, ScriptedRunner(), run_seed=7).rng.normal(size=3)
    b = Context(SPEC, ScriptedRunner(), run_seed=7).rng.normal(size=3)
    assert np.array_equal(a, b) and Context(SPEC, ScriptedRunner(), 7).case().en == "seed 7"


def test_call_asks_for_the_checks_function_with_torch_forbidden_in_numpy_exercises():
    runner = ScriptedRunner(ok(1.5, output="printed\n"), ok(2.0))
    ctx = Context(SPEC, runner, run_seed=1)
    assert ctx.call(np.ones(2), alpha=0.1) == 1.5
    first = runner.requests[0]
    assert (first["module"], first["function"], first["timeout"]) == ("mlp", "relu", 5.0)
    assert first["kwargs"] == {"alpha": 0.1} and first["forbid"] == ("torch",)
    assert ctx.call_named("train_torch") == 2.0
    assert runner.requests[1]["function"] == "train_torch" and runner.requests[1]["forbid"] == ()
    assert ctx.output == ["printed\n"]  # shown to the student, never scored


@pytest.mark.parametrize("reply, status", [
    (Reply(ReplyStatus.MISSING, message="mlp.py defines no function 'relu'"), Status.NOT_ATTEMPTED),
    (Reply(ReplyStatus.RAISED, exc_type="NotImplementedError", not_implemented=True), Status.NOT_ATTEMPTED),
    (Reply(ReplyStatus.RAISED, exc_type="ZeroDivisionError", message="division by zero"), Status.ERROR),
    (Reply(ReplyStatus.TIMEOUT), Status.TIMEOUT),
    (Reply(ReplyStatus.CRASHED, message="killed by signal 9"), Status.ERROR),
])
def test_code_that_did_not_answer_stops_the_check_with_its_status(reply, status):
    with pytest.raises(StudentCodeStopped) as stopped:
        Context(SPEC, ScriptedRunner(reply), run_seed=1).call()
    assert stopped.value.status == status and "relu" in stopped.value.message


def test_reaching_torch_in_a_numpy_exercise_fails_the_check():
    with pytest.raises(CheckFailed, match="torch"):
        Context(SPEC, ScriptedRunner(Reply(ReplyStatus.FORBIDDEN)), run_seed=1).call()


def test_call_unchanged_finds_arguments_modified_in_place_however_deep():
    x, params = np.zeros(3), {"w": [np.ones(2), np.ones(2)]}

    def echo(changed: bool):
        def reply(**request: Any) -> Reply:
            assert request["echo_args"]
            after = {"w": [np.ones(2), np.array([1.0, 9.0]) if changed else np.ones(2)]}
            return ok("value", args_after=[x.copy()], kwargs_after={"params": after})
        return reply

    assert Context(SPEC, ScriptedRunner(echo(False)), 1).call_unchanged(x, params=params) == "value"
    with pytest.raises(CheckFailed) as failed:
        Context(SPEC, ScriptedRunner(echo(True)), 1).call_unchanged(x, params=params)
    assert "relu modified its argument 'params'['w'][1] in place" in failed.value.message


def test_call_unchanged_counts_a_missing_or_reshaped_echo_as_modified():
    x = np.zeros((2, 2))
    for after in ([None], [x.reshape(4)], ["not an array"]):
        with pytest.raises(CheckFailed, match="argument 1"):
            Context(SPEC, ScriptedRunner(ok(0, args_after=after)), 1).call_unchanged(x)
    nan = np.array([np.nan])
    Context(SPEC, ScriptedRunner(ok(0, args_after=[nan.copy()])), 1).call_unchanged(nan)  # NaN stays NaN


def test_expect_raises_wants_that_exception_or_a_subclass():
    raised = Reply(ReplyStatus.RAISED, exc_type="KeyError", bases=("KeyError", "LookupError", "Exception"))
    Context(SPEC, ScriptedRunner(raised), 1).expect_raises("LookupError", "XOR")
    with pytest.raises(CheckFailed, match=r"relu\('XOR'\) should raise ValueError, but returned normally"):
        Context(SPEC, ScriptedRunner(ok(1)), 1).expect_raises("ValueError", "XOR")
    with pytest.raises(StudentCodeStopped) as other:  # another exception: an error, with its traceback
        Context(SPEC, ScriptedRunner(raised), 1).expect_raises("ValueError", "XOR")
    assert other.value.status == Status.ERROR and "mlp.relu raised KeyError" in other.value.message
    with pytest.raises(StudentCodeStopped):  # a stub is not attempted, whatever the check expected
        Context(SPEC, ScriptedRunner(Reply(ReplyStatus.RAISED, exc_type="NotImplementedError",
                                           not_implemented=True)), 1).expect_raises("ValueError")


def test_a_shared_drive_asks_the_child_once_per_submission_and_payload():
    runner = ScriptedRunner(ok({"n": 1}), ok({"n": 2}))
    first, second = Context(SPEC, runner, 1), Context(SPEC, runner, 2)
    assert first.drive("build", {"arch": "alexnet"}, shared=True) == {"n": 1}
    assert second.drive("build", {"arch": "alexnet"}, shared=True) == {"n": 1}  # reused
    assert second.drive("build", {"arch": "vgg"}, shared=True) == {"n": 2}     # another question
    assert [r["payload"]["arch"] for r in runner.requests] == ["alexnet", "vgg"]
    other = ScriptedRunner(ok({"n": 3}))  # another submission asks its own child
    assert Context(SPEC, other, 1).drive("build", {"arch": "alexnet"}, shared=True) == {"n": 3}


def test_a_shared_drive_reuses_the_status_too():
    runner = ScriptedRunner(Reply(ReplyStatus.TIMEOUT))
    for seed in (1, 2):
        with pytest.raises(StudentCodeStopped) as stopped:
            Context(SPEC, runner, seed).drive("build", {"arch": "alexnet"}, shared=True)
        assert stopped.value.status == Status.TIMEOUT
    assert len(runner.requests) == 1
