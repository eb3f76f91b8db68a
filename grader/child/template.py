"""The template: a clean interpreter per judge worker that forks one child per submission.

It imports numpy, torch, ``torch._dynamo`` and every driver once, never any student code, runs no
torch operation and starts no thread (forking a threaded process is unsafe; ``hello`` reports the
thread count and a test holds it at one). Then it serves the judge over one unix socket:

- ``fork`` (with three file descriptors: requests, answers, output): fork; the fork enters the
  sandbox (``confine.enter``), reports what it observed as its first answer, and serves the
  worker protocol. The template answers with the fork's pid and a pidfd, so the judge can kill it
  without asking.
- ``wait``: reap a fork and say how it ended; then make sure nothing it started is left (in the
  modes without a PID namespace: every process of its dedicated uid, or every descendant).
- ``exit``.

A timeout or a crash costs one fork; the template itself never runs anything of the student's.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import sys
import time
from collections.abc import Sequence
from typing import Any

MAX_MESSAGE = 1 << 20


# What a child may need that is slow to import, in the order it is needed. The first stage (numpy,
# the worker, the drivers) is imported before the template says hello; the others (torch, 1 s, and
# torch._dynamo, which constructing a torch optimiser imports, another 1 s) while the template is
# idle, when the judge asks for it (a batch worker). A child forked before a stage was imported
# imports it itself, on a thread, while the judge works: a single grade never waits for them.
STAGES = (
    ("numpy", "dlgrade_child.worker", "dlgrade_child.drivers", "pyseccomp"),
    ("torch", "torch.nn.functional", "torch.optim"),
    ("torch._dynamo",),
)


def import_stage(stage: tuple[str, ...]) -> None:
    import importlib
    import pkgutil

    for name in stage:
        name = name.replace("dlgrade_child", __package__)
        try:
            module = importlib.import_module(name)
        except (ImportError, RuntimeError, OSError):
            continue  # pyseccomp without libseccomp: the judge asks for seccomp only where it works
        if name.endswith(".drivers"):
            for info in pkgutil.iter_modules(module.__path__):
                importlib.import_module(f"{name}.{info.name}")


def stage_done(stage: tuple[str, ...]) -> bool:
    return all(name.replace("dlgrade_child", __package__) in sys.modules for name in stage)


def import_missing_stages_in_background() -> None:
    """In a child forked before the template had imported everything: the rest, on a thread."""
    missing = [stage for stage in STAGES if not stage_done(stage)]
    if missing:
        import threading

        from . import worker

        def run() -> None:
            worker.TRUSTED_THREADS.add(threading.get_ident())  # its imports are ours, not the student's
            try:
                for stage in missing:
                    import_stage(stage)
            except BaseException:  # noqa: BLE001 - student code broke the interpreter under it: the
                pass  # student's own imports will say so, without our frames in their output
            finally:
                worker.TRUSTED_THREADS.discard(threading.get_ident())

        threading.Thread(target=run, name="dlgrade-imports", daemon=True).start()


def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


class Template:
    def __init__(self, control: socket.socket, config: dict[str, Any]) -> None:
        self.control = control
        self.config = config
        self.preload = bool(config.get("preload"))
        self.stages_left = [st for st in STAGES if not stage_done(st)]
        self.children: dict[str, int] = {}   # token -> pid of the fork
        self.ended: dict[int, int] = {}      # pid -> exit code (negative: killed by that signal)

    def serve(self) -> None:
        while True:
            if self.preload_pending() and not select.select([self.control], [], [], 0)[0]:
                import_stage(self.stages_left.pop(0))  # idle: the next stage
                continue
            message, fds = self._receive()
            if message is None:
                return
            op = message.get("op")
            if op == "fork":
                self._fork(message, fds)
            elif op == "wait":
                self._send({"token": message.get("token"), "code": self._wait(message)})
            elif op == "preload":
                self.preload = True
            elif op == "exit":
                return
            else:
                for fd in fds:
                    os.close(fd)
                self._send({"error": f"unknown op {op!r}"})

    def preload_pending(self) -> bool:
        return self.preload and bool(self.stages_left)

    # ------------------------------------------------------------------ fork
    def _fork(self, message: dict, fds: list[int]) -> None:
        self._reap()
        plan = dict(message["plan"], template_pid=os.getpid())
        if thread_count() != 1:  # forking a threaded process is unsafe: refuse rather than risk it
            for fd in fds:
                os.close(fd)
            self._send({"error": f"the template runs {thread_count()} threads; it cannot fork safely"})
            return
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            self._send({"error": f"fork needs 3 file descriptors, got {len(fds)}"})
            return
        if self.config.get("sweep") == "uid" and plan.get("uid") is not None:
            kill_uid(int(plan["uid"]))  # leftovers of an earlier judge that died with this uid leased
        if plan.get("work_dir"):
            _fresh_folder(plan["work_dir"], plan.get("uid"), plan.get("gid"), plan.get("work_writable", True))
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(plan, fds, self.control.fileno())  # never returns
        for fd in fds:
            os.close(fd)
        self.children[message["token"]] = pid
        pidfd = os.pidfd_open(pid)
        try:
            self._send({"pid": pid}, [pidfd])
        finally:
            os.close(pidfd)

    def _wait(self, message: dict) -> int | None:
        pid = self.children.pop(str(message.get("token")), None)
        if pid is None:
            return None
        deadline = time.monotonic() + float(message.get("timeout", 5.0))
        while pid not in self.ended and time.monotonic() < deadline:
            self._reap()
            if pid not in self.ended:
                time.sleep(0.005)
        if pid not in self.ended:  # the judge asked, so it wants it over: kill and reap
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            while pid not in self.ended:
                self._reap()
                time.sleep(0.005)
        code = self.ended.pop(pid)
        self._sweep(message)
        return code

    def _reap(self) -> None:
        """Collect every ended child, with its status (the only place the template waits)."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if not pid:
                return
            self.ended[pid] = os.waitstatus_to_exitcode(status)

    def _sweep(self, message: dict) -> None:
        """Without a PID namespace, processes a child left (a setsid daemon) must be found and
        killed: by uid where the child had a dedicated one, else as the template's descendants
        (the template is a child subreaper, so orphans are reparented to it)."""
        sweep = self.config.get("sweep")
        if sweep == "uid" and message.get("uid") is not None:
            kill_uid(int(message["uid"]))
            remove_files_of(int(message["uid"]))
        elif sweep == "descendants":
            kill_descendants(os.getpid(), keep=set(self.children.values()), reap=self._reap)
        work = message.get("work_dir")
        if work:
            shutil.rmtree(work, ignore_errors=True)
        self._reap()
        forks = set(self.children.values())  # orphans' statuses are nobody's business
        self.ended = {pid: code for pid, code in self.ended.items() if pid in forks}

    # ------------------------------------------------------------------ socket
    def _receive(self) -> tuple[dict | None, list[int]]:
        try:
            data, fds, _, _ = socket.recv_fds(self.control, MAX_MESSAGE, 8)
        except OSError:
            return None, []
        if not data:
            return None, fds
        return json.loads(data.decode("utf-8")), fds

    def _send(self, message: dict, fds: Sequence[int] = ()) -> None:
        socket.send_fds(self.control, [json.dumps(message).encode("utf-8")], list(fds))


def _fresh_folder(path: str, uid: int | None, gid: int | None, writable: bool) -> None:
    shutil.rmtree(path, ignore_errors=True)
    os.mkdir(path, 0o700)
    if uid is not None and os.getuid() == 0:
        if writable:
            os.chown(path, uid, uid if gid is None else gid)
        else:
            os.chmod(path, 0o555)  # root's: the child may enter it, never write it


def _child(plan: dict, fds: list[int], control: int) -> None:
    """In the fork: fixed descriptors, the sandbox, then the worker. Never returns."""
    code = 70
    try:
        req, resp, out = fds
        os.close(control)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        # 3, 4: the request and answer pipes; nothing else of the template's stays open.
        os.dup2(req, 3)
        os.dup2(resp, 4)
        os.closerange(5, _max_fd())
        from . import confine

        confine.die_with_parent(int(plan["template_pid"]))
        from .wire import write

        answers = os.fdopen(4, "wb", buffering=0)
        try:
            confine.enter(plan, keep_fds=[3, 4])
        except Exception as exc:  # a layer that cannot be put in place: no student code runs
            write(answers, {"status": "confine_error", "message": f"{type(exc).__name__}: {exc}"[:500]})
            os._exit(71)
        write(answers, {"status": "ok", "observed": confine.observe(plan.get("unreachable", []))})
        import_missing_stages_in_background()
        from .worker import Worker

        sys.path.insert(0, plan["view"]["submission"])
        Worker(plan["view"]["submission"], os.fdopen(3, "rb", buffering=0), answers).serve()
        code = 0
    except BaseException:  # noqa: BLE001 - nothing may propagate into the template's loop
        import traceback

        traceback.print_exc()  # to the output pipe: the judge shows it when the child gives no report
        code = 70
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # noqa: BLE001
            pass
        os._exit(code)


def _max_fd() -> int:
    try:
        return max(int(n) for n in os.listdir("/proc/self/fd")) + 1
    except (OSError, ValueError):
        return 1024


# --------------------------------------------------------------------------- leftovers
def kill_uid(uid: int) -> None:
    """Kill every process of ``uid`` (a uid leased to one child). A helper drops to that uid and
    signals -1: the kernel then reaches exactly the processes that uid owns."""
    for _ in range(50):
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            os._exit(0)
        os.waitpid(pid, 0)
        if not _pids(lambda st: st.st_uid == uid):
            return
        time.sleep(0.01)


SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def remove_files_of(uid: int) -> None:
    """Without a mount namespace (and without Landlock) a child can write the machine's shared
    scratch folders: whatever its uid left there goes with it."""
    for folder in SHARED_WRITABLE:
        for path, dirs, files in os.walk(folder, topdown=False):
            for name in files + dirs:
                full = os.path.join(path, name)
                try:
                    if os.lstat(full).st_uid != uid:
                        continue
                    if os.path.isdir(full) and not os.path.islink(full):
                        shutil.rmtree(full, ignore_errors=True)
                    else:
                        os.unlink(full)
                except OSError:
                    continue


def kill_descendants(root: int, keep: set[int], reap: Any) -> None:
    """Kill every process below ``root`` except the forks still in use (and theirs); ``reap``
    collects the orphans that were reparented to the template, keeping their statuses."""
    for _ in range(50):
        victims = [p for p in _descendants(root) if not _lineage(p) & keep]
        if not victims:
            return
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)
        reap()


def _pids(test: Any) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if test(entry.stat()):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _parent_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _descendants(root: int) -> list[int]:
    parents = {p: _parent_of(p) for p in _pids(lambda st: True)}
    found, frontier = [], {root}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier and p != root}
        found += sorted(frontier)
        for p in frontier:
            parents.pop(p, None)
    return found


def _lineage(pid: int) -> set[int]:
    """``pid`` and its ancestors."""
    seen = set()
    while pid > 1 and pid not in seen:
        seen.add(pid)
        pid = _parent_of(pid)
    return seen


def main(argv: list[str]) -> None:
    """argv: the control socket's fd, then the template's config as JSON."""
    control = socket.socket(fileno=int(argv[0]))
    config = json.loads(argv[1])
    from . import confine

    if config.get("parent"):
        confine.die_with_parent(int(config["parent"]))
    if config.get("subreaper"):
        confine.prctl(36, 1)  # PR_SET_CHILD_SUBREAPER: orphans of the children come back here
    started = time.perf_counter()
    import_stage(STAGES[0])
    template = Template(control, config)
    template._send({"hello": True, "pid": os.getpid(), "threads": thread_count(),
                    "import_s": round(time.perf_counter() - started, 3), "modules": len(sys.modules),
                    "python": sys.version.split()[0], "landlock_abi": confine.landlock_abi(),
                    "namespaces": confine.observe([])["namespaces"]})
    template.serve()
