"""The sandbox runner: where student code executes. The judge talks to a runner, never to student code.

``SandboxRunner`` serves one submission. Its children are forks of a *template* (one per judge
process, shared by the submissions it grades one after another): an interpreter that imported
numpy and torch once and never holds student code. Each fork enters the sandbox before it imports
anything of the student's (``child/confine.py``; the mode is chosen in ``isolation.py``) and
reports what it observed about itself; the judge checks that against the mode's promises and
refuses to grade on any difference.

The judge speaks ``wire`` frames with a child over two pipes, enforces each request's wall-clock
timeout by killing the child (its whole PID namespace, or everything of its uid), and forks a
fresh child for the requests that follow. Student stdout/stderr are drained, capped and
attributed to the request that produced them; they are shown in reports and never scored.
"""
from __future__ import annotations

import atexit
import json
import os
import queue
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import HOME
from ..child import wire
from ..errors import HarnessError
from ..statuses import ReplyStatus
from ..text import strip_control
from . import isolation
from .base import Limits, Reply, reply_from_message
from .cgroups import ChildCgroups

OUTPUT_CAP = 4096  # bytes of student output kept per request
TEMPLATE_START_S = 180.0  # torch and torch._dynamo imports on a busy 2-core machine
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from dlgrade_child import template; template.main(sys.argv[2:])")
# Threads off in the child: deterministic reductions, and two cores shared fairly in batch runs.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
# Older OpenBLAS builds misdetect some CPUs; the machine sets these and the child must keep them.
_KEPT_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LD_LIBRARY_PATH")


class SandboxBroken(HarnessError):
    """A child is not what its mode promised (or could not be made so): nothing of the student's ran."""


class TemplateDied(SandboxBroken):
    """The template stopped answering; a new one can take over."""


# --------------------------------------------------------------------------- the template
class _Keeper:
    """Starts templates from one long-lived thread: a child's "die with the parent" is tied to the
    thread that started it, and a grading thread that ends must not take the template with it."""

    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        threading.Thread(target=self._serve, name="dlgrade-keeper", daemon=True).start()

    def _serve(self) -> None:
        while True:
            job, box, done = self._jobs.get()
            try:
                box["value"] = job()
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                box["error"] = exc
            done.set()

    def run(self, job: Callable[[], Any]) -> Any:
        box: dict[str, Any] = {}
        done = threading.Event()
        self._jobs.put((job, box, done))
        done.wait()
        if "error" in box:
            raise box["error"]
        return box["value"]


_KEEPER: _Keeper | None = None
_KEEPER_LOCK = threading.Lock()


def _keeper() -> _Keeper:
    global _KEEPER
    with _KEEPER_LOCK:
        if _KEEPER is None:
            _KEEPER = _Keeper()
        return _KEEPER


@dataclass
class _Child:
    token: str
    pidfd: int
    pid: int
    req_w: int
    resp_r: int
    out_r: int
    observed: dict[str, Any]
    cgroup: str | None = None
    lease: isolation.UidLease | None = None
    loaded: set[str] = field(default_factory=set)

    def kill(self) -> None:
        try:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def close_fds(self) -> None:
        for fd in (self.req_w, self.resp_r, self.out_r, self.pidfd):
            try:
                os.close(fd)
            except OSError:
                pass


class Template:
    """The judge's handle on one template process (see ``child/template.py``)."""

    def __init__(self, mode: isolation.Mode, limits: Limits, hidden: tuple[Path, ...] = ()) -> None:
        self.mode, self.limits, self.hidden = mode, limits, hidden
        self._lock = threading.Lock()
        self.run_dir = Path(tempfile.mkdtemp(prefix="dlgrade-run-"))
        os.chmod(self.run_dir, 0o711)  # a dropped uid may pass through, never list
        self.runtime = self.run_dir / "runtime"
        shutil.copytree(HOME / "child", self.runtime / "dlgrade_child",
                        ignore=shutil.ignore_patterns("__pycache__"))
        _open_up(self.runtime)
        self.inbox = self.run_dir / "inbox"
        self.inbox.mkdir(mode=0o711)
        os.chmod(self.inbox, 0o711)
        self.cgroups = ChildCgroups(limits.memory_bytes, limits.processes) if mode.name != "unsandboxed" \
            else None
        self.limits_kind = self.cgroups.kind if self.cgroups and self.cgroups.active else "rlimit"
        self.hello: dict[str, Any] = {}
        self.forks = 0
        self._dead = False
        self._control, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._start(child_end)
        except BaseException:
            child_end.close()
            self.close()
            raise

    # ------------------------------------------------------------------ start and stop
    def _start(self, child_end: socket.socket) -> None:
        fd = child_end.fileno()
        config = isolation.template_config(self.mode)
        python = [sys.executable, "-I", "-B", "-c", _BOOT,
                  isolation.VIEW["runtime"] if self.mode.namespaces else str(self.runtime),
                  str(fd), json.dumps(config)]
        cgroup_dirs = self.cgroups.dirs if self.cgroups and self.cgroups.active else []
        command = isolation.template_command(self.mode, python, self.runtime, self.inbox,
                                             list(self.hidden), cgroup_dirs)
        env = {"PATH": "/usr/bin:/bin", "HOME": "/", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
               "MPLBACKEND": "Agg", **{v: "1" for v in _THREAD_VARS},
               **{v: os.environ[v] for v in _KEPT_VARS if v in os.environ}}
        self._log = open(self.run_dir / "template.log", "w+b")  # noqa: SIM115 - kept for errors
        self.proc = _keeper().run(lambda: subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, pass_fds=(fd,),
            cwd="/", env=env, start_new_session=True, close_fds=True))
        child_end.close()  # the template holds the only other end: its death reads as end of file

    def ready(self) -> dict[str, Any]:
        """Wait for the template's imports (started in the background: the judge loads meanwhile)."""
        if not self.hello:
            hello, _ = self._receive(TEMPLATE_START_S)
            if hello is None or not hello.get("hello"):
                self._dead = True
                raise TemplateDied("the grading sandbox did not start" + self._log_tail())
            if hello.get("threads") != 1:
                raise SandboxBroken(f"the template runs {hello.get('threads')} threads after its imports; "
                                    "forking it would not be safe")
            self.hello = hello
        return self.hello

    def preload(self) -> None:
        """Ask the template to import the slow stages (torch, torch._dynamo) while it is idle."""
        with self._lock:
            self._send({"op": "preload"})

    def alive(self) -> bool:
        proc = getattr(self, "proc", None)
        return not self._dead and proc is not None and proc.poll() is None

    def close(self) -> None:
        """Stop the template: killed, not asked (it holds nothing to save, and an interpreter that
        imported torch takes half a second to tear itself down); its children die with it."""
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
        self._control.close()
        if self.cgroups is not None:
            self.cgroups.close()
        log = getattr(self, "_log", None)
        if log is not None:
            log.close()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def _log_tail(self) -> str:
        try:
            self._log.seek(0)
            text = self._log.read().decode("utf-8", "replace").strip()
        except (OSError, AttributeError, ValueError):
            return ""
        return (":\n" + "\n".join(text.splitlines()[-12:])) if text else ""

    # ------------------------------------------------------------------ submissions
    def stage(self, folder: Path) -> str:
        """Copy a staged submission where this template's children can be given it."""
        token = secrets.token_hex(16)
        target = self.inbox / token
        shutil.copytree(folder, target)
        _open_up(target)
        return token

    def unstage(self, token: str) -> None:
        shutil.rmtree(self.inbox / token, ignore_errors=True)

    def fork(self, token: str, unreachable: list[str]) -> _Child:
        """A new child for the submission staged as ``token``, confined and verified."""
        with self._lock:
            self.ready()
            child_token = f"{token}-{self.forks}"
            self.forks += 1
            # Every child its own uid (a root judge): nothing counted per uid is shared between
            # two children, even two of this template running at once.
            lease = isolation.UidLease() if self.mode.dedicated_uid else None
            cgroup, cgroup_procs = None, []
            if self.cgroups is not None and self.cgroups.active:
                cgroup = self.cgroups.new_child()
                cgroup_procs = [f"{isolation.VIEW['cgroup']}/{i}/{cgroup}/cgroup.procs" if self.mode.namespaces
                                else str(p) for i, p in enumerate(self.cgroups.procs_files(cgroup))]
            plan = isolation.fork_plan(self.mode, token=child_token, submission=self.inbox / token,
                                       run_dir=self.run_dir, limits=self.limits.as_dict(),
                                       uid=lease.uid if lease else None,
                                       unreachable=unreachable, cgroup_procs=cgroup_procs)
            if self.mode.namespaces:
                plan["submission"] = f"{isolation.VIEW['inbox']}/{token}"
            req_r, req_w = os.pipe()
            resp_r, resp_w = os.pipe()
            out_r, out_w = os.pipe()
            try:
                self._send({"op": "fork", "token": child_token, "plan": plan}, [req_r, resp_w, out_w])
                answer, fds = self._receive(30.0)
            except OSError as exc:
                for fd in (req_w, resp_r, out_r):
                    os.close(fd)
                if cgroup is not None and self.cgroups is not None:
                    self.cgroups.release(cgroup)
                if lease is not None:
                    lease.release()
                self._dead = True
                raise TemplateDied(f"the grading sandbox's template stopped ({exc})" + self._log_tail()) from None
            finally:
                for fd in (req_r, resp_w, out_w):
                    os.close(fd)
            if answer is None or "pid" not in answer or len(fds) != 1:
                for fd in (req_w, resp_r, out_r, *fds):
                    os.close(fd)
                if cgroup is not None and self.cgroups is not None:
                    self.cgroups.release(cgroup)
                if lease is not None:
                    lease.release()
                self._dead = answer is None
                error = TemplateDied if answer is None else SandboxBroken
                raise error(f"the template could not fork a child ({answer})" + self._log_tail())
            os.set_blocking(req_w, False)  # a child that stops reading must not block the judge
            pidfd = fds[0]
            child = _Child(child_token, pidfd, _pid_of(pidfd), req_w, resp_r, out_r, {}, cgroup, lease)
        first = _first_answer(child)
        if first.get("status") != "ok":
            self.finish(child, kill=True)
            raise SandboxBroken("the sandbox could not be entered: " + str(first.get("message", first))[:800])
        child.observed = first.get("observed") or {}
        # The process that runs the student's code: in the namespaces mode the fork's child (PID 1
        # of its namespace), not the fork itself, which may not have dropped its own uid yet.
        student = _only_child(child.pid) if self.mode.namespaces else child.pid
        child.observed["uid_seen_by_judge"] = _uid_of(student) if student else None
        problems = isolation.verify(child.observed, self.mode, lease.uid if lease else None,
                                    self.hello.get("namespaces") or {})
        if problems:
            self.finish(child, kill=True)
            raise SandboxBroken(f"the child is not what the '{self.mode.name}' sandbox promises: "
                                + "; ".join(problems))
        return child

    def finish(self, child: _Child, kill: bool) -> int | None:
        """End one child; returns its exit code (negative: the signal that killed it)."""
        if kill:
            child.kill()
        with self._lock:
            try:
                self._send({"op": "wait", "token": child.token, "timeout": 5.0,
                            "uid": child.lease.uid if child.lease else None,
                            "work_dir": str(self.run_dir / f"work-{child.token}")
                            if not self.mode.namespaces else None})
                answer, _ = self._receive(30.0)
            except OSError:
                answer = None
        if child.cgroup is not None and self.cgroups is not None:
            self.cgroups.release(child.cgroup)
        if child.lease is not None:
            child.lease.release()  # after the sweep: no process of that uid is left
        child.close_fds()
        return None if answer is None else answer.get("code")

    # ------------------------------------------------------------------ control socket
    def _send(self, message: dict, fds: Sequence[int] = ()) -> None:
        socket.send_fds(self._control, [json.dumps(message).encode("utf-8")], list(fds))

    def _receive(self, timeout: float) -> tuple[dict | None, list[int]]:
        ready, _, _ = select.select([self._control], [], [], timeout)
        if not ready:
            return None, []
        try:
            data, fds, _, _ = socket.recv_fds(self._control, 1 << 20, 4)
        except OSError:
            return None, []
        if not data:
            return None, fds
        return json.loads(data.decode("utf-8")), fds


def _open_up(folder: Path) -> None:
    """Readable by the child's uid (a dropped uid reads its submission, never writes it)."""
    for path, _dirs, files in os.walk(folder):
        os.chmod(path, 0o755)
        for name in files:
            os.chmod(os.path.join(path, name), 0o644)


def _pid_of(pidfd: int) -> int:
    try:
        with open(f"/proc/self/fdinfo/{pidfd}") as f:
            for line in f:
                if line.startswith("Pid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return -1


def _only_child(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except (OSError, ValueError):
        return None
    return children[0] if len(children) == 1 else None


def _uid_of(pid: int) -> int | None:
    """The uid the kernel charges a process to, as the judge (outside every namespace) sees it."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _first_answer(child: _Child) -> dict:
    reader = wire.FrameReader()
    deadline = time.perf_counter() + 30.0
    output = bytearray()
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([child.resp_r, child.out_r], [], [], max(0.0, deadline - time.perf_counter()))
        if child.out_r in ready:
            chunk = os.read(child.out_r, 65536)
            if len(output) < OUTPUT_CAP:
                output += chunk
        if child.resp_r in ready:
            chunk = os.read(child.resp_r, 1 << 20)
            if not chunk:
                _drain(child.out_r, output, time.perf_counter() + 1.0)
                break
            reader.feed(chunk)
            message = reader.frame()
            if isinstance(message, dict):
                return message
    return {"status": "confine_error", "message": "no report from the child"
            + (f" ({bytes(output[-600:]).decode('utf-8', 'replace')})" if output else "")}


_TEMPLATES: dict[tuple, Template] = {}
_TEMPLATES_LOCK = threading.Lock()


def start_template(hidden: tuple[Path, ...] = (), unsandboxed: bool = False, limits: Limits = Limits(),
                   preload: bool = False) -> None:
    """Start this process's template now, in the background. ``preload``: it also imports torch and
    torch._dynamo while idle, so that every child forked later has them (a batch worker, which
    forks many); a single grade lets its one child import them on a thread instead."""
    template = shared_template(isolation.detect(unsandboxed), limits, hidden)
    if preload:
        template.preload()


def shared_template(mode: isolation.Mode, limits: Limits, hidden: tuple[Path, ...] = ()) -> Template:
    """This process's template for ``mode`` and ``limits``, started on first use, restarted if it
    died. ``hidden``: paths the child must not see; only those inside a bound Python home need
    covering in the template's view, and they are part of the key."""
    covered = tuple(isolation.covered(list(hidden))) if mode.namespaces else ()
    key = (mode, limits, covered)
    with _TEMPLATES_LOCK:
        template = _TEMPLATES.get(key)
        if template is not None and not template.alive():
            template.close()
            template = None
        if template is None:
            template = _TEMPLATES[key] = Template(mode, limits, covered)
        return template


def shutdown() -> None:
    """Stop every template of this process (also at exit)."""
    with _TEMPLATES_LOCK:
        for template in _TEMPLATES.values():
            template.close()
        _TEMPLATES.clear()


def _forget_after_fork() -> None:
    """A forked judge worker (a process pool) starts with no template and no keeper thread of its
    own: the parent's belong to the parent, and the keeper thread does not exist in the fork."""
    global _KEEPER, _KEEPER_LOCK, _TEMPLATES_LOCK
    for template in _TEMPLATES.values():
        template._control.close()
    _TEMPLATES.clear()
    _KEEPER, _KEEPER_LOCK, _TEMPLATES_LOCK = None, threading.Lock(), threading.Lock()


atexit.register(shutdown)
os.register_at_fork(after_in_child=_forget_after_fork)


# --------------------------------------------------------------------------- the runner
class SandboxRunner:
    """Runs one submission's requests in sandboxed children; a fresh one after a timeout or crash."""

    def __init__(self, submission_dir: Path, limits: Limits = Limits(), hidden: tuple[Path, ...] = (),
                 unsandboxed: bool = False) -> None:
        self.limits = limits
        self.mode = isolation.detect(unsandboxed)
        self.hidden = tuple(Path(h) for h in hidden)
        self.template = shared_template(self.mode, limits, self.hidden)
        self.submission_dir = Path(submission_dir)
        self.token = self.template.stage(self.submission_dir)
        self._child: _Child | None = None
        self.children_started = 0
        self.observed: dict[str, Any] = {}

    @property
    def staged(self) -> Path:
        """Where this submission is staged for the template's children."""
        return self.template.inbox / self.token

    @property
    def layers(self) -> dict[str, Any]:
        """The sandbox as observed in this submission's first child, for results.json."""
        if not self.observed:
            self._ensure_child()
        return isolation.layers(self.observed, self.mode, self.template.limits_kind)

    # ------------------------------------------------------------------ public
    def load(self, module: str, timeout: float) -> Reply:
        reply = self._request({"op": "load", "module": module}, timeout)
        if reply.status == ReplyStatus.OK and self._child is not None:
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
            self.template.finish(self._child, kill=True)
            self._child = None
        self.template.unstage(self.token)

    def __enter__(self) -> SandboxRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _with_module(self, module: str, timeout: float, request: dict) -> Reply:
        child = self._ensure_child()
        if module not in child.loaded:
            # A restarted child re-imports quietly; its import time is not the check's.
            loaded = self.load(module, max(timeout, 30.0))
            if loaded.status != ReplyStatus.OK:
                return loaded
        return self._request(request, timeout)

    def _ensure_child(self) -> _Child:
        if self._child is None:
            unreachable = [str(p) for p in self.hidden]
            try:
                self._child = self.template.fork(self.token, unreachable)
            except TemplateDied:  # once: a new template, the submission staged again
                self.template.unstage(self.token)
                self.template = shared_template(self.mode, self.limits, self.hidden)
                self.token = self.template.stage(self.submission_dir)
                self._child = self.template.fork(self.token, unreachable)
            self.children_started += 1
            if not self.observed:
                self.observed = self._child.observed
        return self._child

    def _request(self, request: dict, timeout: float) -> Reply:
        child = self._ensure_child()
        started = time.perf_counter()
        deadline = started + timeout
        output = bytearray()
        try:
            _write_all(child.req_w, wire.dumps(request), deadline)
            message = self._await(child, deadline, output)
        except TimeoutError:
            self._discard_child(kill=True)
            return Reply(ReplyStatus.TIMEOUT, message=f"no answer within {timeout:g} s",
                         output=self._clean(output), duration_s=time.perf_counter() - started)
        except (OSError, EOFError, wire.WireError) as exc:
            # What it printed just before dying is often the best clue the student gets.
            _drain(child.out_r, output, time.perf_counter() + 0.2)
            code = self._discard_child(kill=isinstance(exc, wire.WireError))
            return Reply(ReplyStatus.CRASHED, message=_death_message(code, exc),
                         output=self._clean(output), duration_s=time.perf_counter() - started)
        reply = reply_from_message(message)
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
                    if time.perf_counter() > deadline:  # decoding is part of the request's time
                        raise TimeoutError
                    _drain(child.out_r, output, deadline)  # prints were flushed before the answer
                    if not isinstance(message, dict):
                        raise wire.WireError("answer is not a mapping")
                    return message

    def _clean(self, output: bytearray) -> str:
        """Capped, control-free text with our private paths made relative: a warning printed by the
        student's code names "mlp.py", not this run's random folder, so results repeat exactly."""
        text = _clean(output)
        for folder in (isolation.VIEW["submission"], str(self.template.inbox / self.token)):
            text = text.replace(folder + os.sep, "")
        return text.replace(str(self.template.run_dir), "<sandbox>")

    def _discard_child(self, kill: bool) -> int | None:
        code = None
        if self._child is not None:
            code = self.template.finish(self._child, kill=kill)
            self._child = None
        return code


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


def _death_message(code: int | None, exc: BaseException) -> str:
    if code is not None and code < 0:
        sig = signal.Signals(-code).name
        why = {"SIGKILL": " (the CPU time or memory limit)", "SIGXCPU": " (CPU time limit)",
               "SIGXFSZ": " (file size limit)", "SIGSEGV": " (a crash in native code)"}.get(sig, "")
        return f"the process running your code was killed by {sig}{why}"
    if code is not None:
        return f"the process running your code exited with status {code} (sys.exit or os._exit?)"
    return f"the process running your code stopped answering ({exc})"
