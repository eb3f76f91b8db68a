"""Runners: where student code executes. The judge talks to a runner, never to student code.

``SandboxRunner`` starts a child interpreter (``python -I -B``) in a private temporary directory
with a scrubbed environment and resource limits, speaks ``wire`` frames over two pipes, enforces
each request's wall-clock timeout by killing the child's whole process group, and starts a fresh
child for the requests that follow. Student stdout/stderr are drained, capped and attributed to
the request that produced them; they are shown in reports and never scored.
"""
from __future__ import annotations

import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import isolation
from .child import wire
from .text import strip_control

OUTPUT_CAP = 4096  # bytes of student output kept per request
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from dlgrade_child import worker; worker.main(sys.argv[2:])")
# Threads off in the child: deterministic reductions, and two cores shared fairly in batch runs.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
# Older OpenBLAS builds misdetect some CPUs; the machine sets these and the child must keep them.
_KEPT_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LD_LIBRARY_PATH")


@dataclass(frozen=True)
class Limits:
    cpu_s: int = 600             # whole-child CPU budget; per-request time is the judge's wall clock
    memory_bytes: int = 6 << 30  # address space: torch maps large libraries, so not tighter
    file_bytes: int = 16 << 20
    open_files: int = 256
    processes: int = 64


@dataclass
class Reply:
    """What came back for one request. ``status``: ok, raised, missing, timeout, crashed, protocol."""

    status: str
    value: Any = None
    message: str = ""
    exc_type: str = ""
    bases: tuple[str, ...] = ()
    traceback: list[dict] = field(default_factory=list)
    not_implemented: bool = False
    syntax: dict | None = None
    args_after: Any = None
    kwargs_after: Any = None
    output: str = ""
    duration_s: float = 0.0

    def raised(self, exc_name: str) -> bool:
        return self.status == "raised" and exc_name in self.bases


class _Child:
    def __init__(self, proc: subprocess.Popen, req_w: int, resp_r: int, out_r: int) -> None:
        self.proc, self.req_w, self.resp_r, self.out_r = proc, req_w, resp_r, out_r
        self.loaded: set[str] = set()

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for fd in (self.req_w, self.resp_r, self.out_r):
            try:
                os.close(fd)
            except OSError:
                pass


class SandboxRunner:
    """Runs requests in a child process; restarts it after a timeout or crash."""

    def __init__(self, submission_dir: Path, limits: Limits = Limits(), hidden: tuple[Path, ...] = ()) -> None:
        self.limits = limits
        self.hidden = tuple(hidden)
        self.isolation = isolation.detect()
        self._tmp = Path(tempfile.mkdtemp(prefix="dlgrade-run-"))
        self._runtime = self._tmp / "runtime"
        shutil.copytree(Path(__file__).parent / "child", self._runtime / "dlgrade_child",
                        ignore=shutil.ignore_patterns("__pycache__"))
        # Everything the child may see lives in one folder: the namespace view keeps only that.
        self.submission_dir = self._tmp / "submission"
        shutil.copytree(submission_dir, self.submission_dir)
        self._child: _Child | None = None
        self.children_started = 0

    @property
    def layers(self) -> dict[str, bool]:
        """The isolation layers in force, for results.json."""
        return {"separate_process": True, "isolated_interpreter": True, "scrubbed_environment": True,
                "private_tmpdir": True, "resource_limits": True, "process_group_kill": True,
                **self.isolation.layers}

    # ------------------------------------------------------------------ public
    def load(self, module: str, timeout: float) -> Reply:
        reply = self._request({"op": "load", "module": module}, timeout)
        if reply.status == "ok" and self._child is not None:
            self._child.loaded.add(module)
        return reply

    def call(self, module: str, function: str, args: list, kwargs: dict, timeout: float,
             echo_args: bool = False, forbid: tuple[str, ...] = ()) -> Reply:
        return self._with_module(module, timeout, {
            "op": "call", "module": module, "function": function,
            "args": list(args), "kwargs": dict(kwargs), "echo_args": echo_args, "forbid": list(forbid)})

    def drive(self, module: str, driver: str, payload: Any, timeout: float,
              forbid: tuple[str, ...] = ()) -> Reply:
        return self._with_module(module, timeout, {
            "op": "drive", "module": module, "driver": driver, "payload": payload, "forbid": list(forbid)})

    def close(self) -> None:
        if self._child is not None:
            try:
                os.write(self._child.req_w, wire.dumps({"op": "exit"}))
            except OSError:
                pass
            self._child.kill()
            self._child = None
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "SandboxRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _with_module(self, module: str, timeout: float, request: dict) -> Reply:
        child = self._ensure_child()
        if module not in child.loaded:
            # A restarted child re-imports quietly; its import time is not the check's.
            loaded = self.load(module, max(timeout, 30.0))
            if loaded.status != "ok":
                return loaded
        return self._request(request, timeout)

    def _ensure_child(self) -> _Child:
        if self._child is None or self._child.proc.poll() is not None:
            if self._child is not None:
                self._child.kill()
            self._child = self._spawn()
        return self._child

    def _spawn(self) -> _Child:
        work = Path(tempfile.mkdtemp(prefix="work-", dir=self._tmp))
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        out_r, out_w = os.pipe()
        env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "TMPDIR": str(work),
               "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
        env.update({v: "1" for v in _THREAD_VARS})
        env.update({v: os.environ[v] for v in _KEPT_VARS if v in os.environ})
        limits = self.limits
        command = [sys.executable, "-I", "-B", "-c", _BOOT, str(self._runtime),
                   str(self.submission_dir), str(req_r), str(resp_w)]
        isolation.prepare_tree(self._tmp, work, self.isolation)
        proc = subprocess.Popen(
            isolation.wrap(command, self.isolation, self._tmp, list(self.hidden), work),
            stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, pass_fds=(req_r, resp_w),
            cwd=work, env=env, start_new_session=True, close_fds=True,
            preexec_fn=lambda: _apply_limits(limits))
        for fd in (req_r, resp_w, out_w):
            os.close(fd)
        # A child that stops reading (or shrinks the pipe) must not block the judge's writes.
        os.set_blocking(req_w, False)
        self.children_started += 1
        return _Child(proc, req_w, resp_r, out_r)

    def _request(self, request: dict, timeout: float) -> Reply:
        child = self._ensure_child()
        started = time.perf_counter()
        deadline = started + timeout
        output = bytearray()
        try:
            _write_all(child.req_w, wire.dumps(request), deadline)
            message = self._await(child, deadline, output)
        except TimeoutError:
            self._discard_child()
            return Reply("timeout", message=f"no answer within {timeout:g} s",
                         output=self._clean(output), duration_s=time.perf_counter() - started)
        except (OSError, EOFError, wire.WireError) as exc:
            code = child.proc.poll() if isinstance(exc, wire.WireError) else _exit_code(child.proc)
            code = _through_unshare(code, output)
            self._discard_child()
            return Reply("crashed", message=_death_message(code, exc),
                         output=self._clean(output), duration_s=time.perf_counter() - started)
        reply = _to_reply(message)
        reply.output = self._clean(output)
        reply.duration_s = time.perf_counter() - started
        return reply

    def _await(self, child: _Child, deadline: float, output: bytearray) -> Any:
        reader = wire.FrameReader()
        fds = [child.resp_r, child.out_r]
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select(fds, [], [], left)
            if child.out_r in ready:
                chunk = os.read(child.out_r, 65536)
                if not chunk:
                    fds.remove(child.out_r)
                elif len(output) < OUTPUT_CAP:
                    output += chunk[: OUTPUT_CAP - len(output)]
            if child.resp_r in ready:
                chunk = os.read(child.resp_r, 1 << 20)
                if not chunk:
                    raise EOFError("child closed its answer pipe")
                reader.feed(chunk)
                message = reader.frame()
                if message is not None:
                    _drain(child.out_r, output, deadline)  # prints were flushed before the answer
                    if not isinstance(message, dict):
                        raise wire.WireError("answer is not a mapping")
                    return message

    def _clean(self, output: bytearray) -> str:
        """Capped, control-free text with our private paths made relative: a warning printed by the
        student's code names "mlp.py", not this run's random folder, so results repeat exactly."""
        return _clean(output).replace(str(self.submission_dir) + os.sep, "").replace(str(self._tmp), "<sandbox>")

    def _discard_child(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child = None


def _apply_limits(limits: Limits) -> None:
    """Runs in the child between fork and exec."""
    _die_with_parent()
    for name, value in ((resource.RLIMIT_CPU, limits.cpu_s),
                        (resource.RLIMIT_AS, limits.memory_bytes),
                        (resource.RLIMIT_FSIZE, limits.file_bytes),
                        (resource.RLIMIT_NOFILE, limits.open_files),
                        (resource.RLIMIT_NPROC, limits.processes),
                        (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(name, (value, value))
        except (ValueError, OSError):
            pass  # a limit the platform refuses is recorded as absent, not fatal


def _die_with_parent() -> None:
    """If the judge is killed (even by SIGKILL), the kernel kills the child too: nothing lingers."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _write_all(fd: int, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        left = deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError
        _, ready, _ = select.select([], [fd], [], left)
        if ready:
            try:
                written = os.write(fd, view[: 1 << 16])
            except BlockingIOError:  # less room than the chunk: wait for the child to read
                continue
            view = view[written:]


DRAIN_LIMIT = 1 << 20  # bytes read after an answer: a thread printing forever must not hold the judge


def _drain(fd: int, output: bytearray, deadline: float) -> None:
    """Read what the child printed before answering; bounded, as its threads may print on."""
    drained = 0
    while drained < DRAIN_LIMIT and time.perf_counter() < deadline and select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            return
        drained += len(chunk)
        if len(output) < OUTPUT_CAP:
            output += chunk[: OUTPUT_CAP - len(output)]


def _clean(output: bytearray) -> str:
    text = bytes(output).decode("utf-8", errors="replace")
    text = strip_control(text.replace("\r\n", "\n").replace("\t", "    "))
    if len(output) >= OUTPUT_CAP:
        text += "\n[output truncated]"
    return text


def _exit_code(proc: subprocess.Popen) -> int | None:
    """The child's exit status; a child that just closed its pipes gets a moment to finish dying."""
    try:
        return proc.wait(timeout=3.0)
    except subprocess.TimeoutExpired:
        return None


_UNSHARE_SIGKILL = b"unshare: sigprocmask unblock failed: Invalid argument\n"


def _through_unshare(code: int | None, output: bytearray) -> int | None:
    """``unshare`` passes on its child's death by signal, except SIGKILL (CPU or memory limit):
    then it says so on stderr and exits with 1. Translate that back, and drop its line."""
    if code == 1 and _UNSHARE_SIGKILL in output:
        start = output.index(_UNSHARE_SIGKILL)
        del output[start:start + len(_UNSHARE_SIGKILL)]
        return -signal.SIGKILL
    return code


def _death_message(code: int | None, exc: BaseException) -> str:
    if code is not None and code < 0:
        sig = signal.Signals(-code).name
        why = {"SIGKILL": " (the CPU time or memory limit)", "SIGXCPU": " (CPU time limit)",
               "SIGXFSZ": " (file size limit)", "SIGSEGV": " (a crash in native code)"}.get(sig, "")
        return f"the process running your code was killed by {sig}{why}"
    if code is not None:
        return f"the process running your code exited with status {code} (sys.exit or os._exit?)"
    return f"the process running your code stopped answering ({exc})"


def _to_reply(message: dict) -> Reply:
    """Everything but ``value`` and the echoed arguments is coerced to text: the child may lie."""
    status = message.get("status")
    if status not in ("ok", "raised", "missing", "protocol", "forbidden"):
        return Reply("protocol", message=f"unknown answer status {status!r}"[:200])
    syntax = message.get("syntax")
    return Reply(
        status=str(status),
        value=message.get("value"),
        message=str(message.get("message", "")),
        exc_type=str(message.get("exc_type", "")),
        bases=tuple(str(b) for b in _listed(message.get("bases"))),
        traceback=[_texts(f, ("file", "line", "function", "text")) for f in _listed(message.get("traceback"))
                   if isinstance(f, dict)],
        not_implemented=bool(message.get("not_implemented")),
        syntax=_texts(syntax, ("file", "line", "offset", "text", "msg")) if isinstance(syntax, dict) else None,
        args_after=message.get("args_after"),
        kwargs_after=message.get("kwargs_after"),
    )


def _listed(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def _texts(fields: dict, keys: tuple[str, ...]) -> dict:
    return {k: "" if fields.get(k) is None else str(fields.get(k)) for k in keys}
