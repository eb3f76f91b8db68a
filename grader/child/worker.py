"""The child process: imports student modules and runs calls the judge asks for.

Runs with ``python -I -B`` in a private temporary directory. It reads request frames on one
pipe and answers on another (student prints go to fds 1 and 2, which the judge drains and caps).
It never judges: it only computes and sends plain data back (see ``wire``).

Requests (``op``): ``load`` a module, ``call`` a function, ``drive`` a driver (child-side code that
adapts a class, a callable argument or a torch module into plain data), ``exit``.
"""
from __future__ import annotations

import importlib
import linecache
import os
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import wire

MAX_TRACEBACK_FRAMES = 12
# Threads of the harness's own (the child's background imports of torch): the forbidden-library
# guards let their imports through; every other thread, the student's included, is guarded.
TRUSTED_THREADS: set[int] = set()


class Worker:
    def __init__(self, submission_dir: str, requests: Any, responses: Any) -> None:
        self.submission_dir = os.path.realpath(submission_dir)
        self.requests = requests
        self.responses = responses
        self.modules: dict[str, Any] = {}

    # ------------------------------------------------------------------ dispatch
    def serve(self) -> None:
        while True:
            request = wire.read(self.requests)
            if request is None or request.get("op") == "exit":
                return
            handler = getattr(self, "op_" + str(request.get("op")), None)
            if handler is None:
                response = {"status": "protocol", "message": f"unknown op {request.get('op')!r}"}
            else:
                response = handler(request)
            _flush_student_output()
            try:
                frame = wire.dumps(response)
            except Exception as exc:  # noqa: BLE001 - a value no frame can carry: say so, stay alive
                frame = wire.dumps({"status": "raised", "exc_type": "ValueError", "bases": ["ValueError", "Exception"],
                                    "message": f"the returned value cannot be sent to the grader "
                                               f"({type(exc).__name__}: {str(exc)[:200]})",
                                    "traceback": [], "not_implemented": False})
            self.responses.write(frame)
            self.responses.flush()

    def op_hello(self, request: dict) -> dict:
        return {"status": "ok", "pid": os.getpid(), "python": sys.version.split()[0]}

    def op_load(self, request: dict) -> dict:
        name = request["module"]
        if name in self.modules:
            return {"status": "ok"}
        path = Path(self.submission_dir) / f"{name}.py"
        if not path.is_file():
            return {"status": "missing", "message": f"{name}.py is not in the submission"}
        try:
            module = self.import_module(name, path)
        except BaseException as exc:  # SyntaxError, SystemExit, KeyboardInterrupt...: all the student's
            return self._raised(exc)
        if os.path.realpath(getattr(module, "__file__", "") or "") != os.path.realpath(path):
            return {"status": "raised", "exc_type": "ImportError", "bases": ["ImportError"],
                    "message": f"importing {name!r} did not load {name}.py from the submission",
                    "traceback": [], "not_implemented": False}
        self.modules[name] = module
        return {"status": "ok"}

    def import_module(self, name: str, path: Path) -> Any:
        """Plain import, so that student modules can import each other by name."""
        return importlib.import_module(name)

    def op_call(self, request: dict) -> dict:
        module = self.modules.get(request["module"])
        if module is None:
            return {"status": "protocol", "message": f"module {request['module']!r} not loaded"}
        func = getattr(module, request["function"], None)
        if func is None or not callable(func):
            return {"status": "missing",
                    "message": f"{request['module']}.py defines no function {request['function']!r}"}
        args = list(request.get("args", []))
        kwargs = dict(request.get("kwargs", {}))
        response = self._guarded(request, lambda: func(*args, **kwargs))
        if response["status"] == "ok" and request.get("echo_args"):
            response["args_after"] = args
            response["kwargs_after"] = kwargs
        return response

    def op_drive(self, request: dict) -> dict:
        module = self.modules.get(request["module"])
        if module is None:
            return {"status": "protocol", "message": f"module {request['module']!r} not loaded"}
        driver_module, _, driver_name = str(request["driver"]).partition(".")
        try:
            drivers = importlib.import_module(f"{__package__}.drivers.{driver_module}")
            driver = getattr(drivers, driver_name)
        except (ImportError, AttributeError):
            return {"status": "protocol", "message": f"no driver {request['driver']!r}"}
        return self._guarded(request, lambda: driver(module, request.get("payload")))

    def _guarded(self, request: dict, run: Any) -> dict:
        """Run student code with the request's forbidden libraries kept out; any use wins over the outcome."""
        with _Forbidden(request.get("forbid") or (), self.modules.values()) as guard:
            try:
                value = run()
            except BaseException as exc:
                if not guard.touched:
                    return self._raised(exc)
        if guard.touched:
            what = request.get("function") or request.get("driver")
            return {"status": "forbidden", "library": guard.touched[0], "message": f"{what} used {guard.touched[0]}"}
        return {"status": "ok", "value": value}

    # ------------------------------------------------------------------ errors
    def _raised(self, exc: BaseException) -> dict:
        return {
            "status": "raised",
            "exc_type": type(exc).__name__,
            "bases": [c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins"],
            "message": _safe_str(exc),
            "traceback": self._student_frames(exc),
            "not_implemented": isinstance(exc, NotImplementedError),
            "syntax": _syntax_location(exc, self.submission_dir),
        }

    def _student_frames(self, exc: BaseException) -> list[dict]:
        """Frames inside the submission only: harness frames are hidden, paths made relative."""
        frames = []
        for frame in traceback.extract_tb(exc.__traceback__):
            rel = self._relative(frame.filename)
            if rel is None:
                continue
            line = frame.line or linecache.getline(frame.filename, frame.lineno or 0).strip()
            frames.append({"file": rel, "line": frame.lineno, "function": frame.name, "text": line})
        return frames[-MAX_TRACEBACK_FRAMES:]

    def _relative(self, filename: str) -> str | None:
        real = os.path.realpath(filename)
        if real.startswith(self.submission_dir + os.sep):
            return os.path.relpath(real, self.submission_dir)
        return None


class ForbiddenLibrary(ImportError):
    """Raised when a numpy exercise reaches for a library it must not use."""


class _Tripwire:
    """Stands in for a forbidden library's objects in the student's module during one call."""

    def __init__(self, library: str, touched: list[str]) -> None:
        object.__setattr__(self, "_library", library)
        object.__setattr__(self, "_touched", touched)

    def _trip(self, *args: Any, **kwargs: Any) -> Any:
        self._touched.append(self._library)
        raise ForbiddenLibrary(f"{self._library} may not be used in this exercise")

    __call__ = _trip

    def __getattr__(self, name: str) -> Any:
        return self._trip()


class _Forbidden:
    """Keep forbidden libraries out of one call: module globals, ``import`` and (torch) all its ops.

    Swapping the names in the student's modules gives the clearest message; an import hook and,
    when torch is already loaded, a torch dispatch mode catch the library reached any other way
    (``importlib``, ``sys.modules``, a default argument, a closure).
    """

    def __init__(self, libraries: Any, modules: Any) -> None:
        self.libraries = tuple(libraries)
        self.modules = list(modules)
        self.touched: list[str] = []
        self._saved: list[tuple[dict, str, Any]] = []
        self._import: Callable[..., Any] | None = None
        self._finder: _ImportBlocker | None = None
        self._mode: Any = None

    def _library_of(self, value: Any) -> str | None:
        name = getattr(value, "__name__", None) if isinstance(value, type(sys)) else getattr(
            value, "__module__", None)
        root = str(name or "").split(".")[0]
        return root if root in self.libraries else None

    def __enter__(self) -> _Forbidden:
        if not self.libraries:
            return self
        import builtins

        if "torch" in self.libraries and _imported("torch"):
            self._mode = _torch_tripwire(self.touched)
            self._mode.__enter__()
        self._finder = _ImportBlocker(self.libraries, self.touched)
        sys.meta_path.insert(0, self._finder)
        for module in self.modules:
            space = vars(module)
            for key, value in list(space.items()):
                library = self._library_of(value)
                if library is not None:
                    self._saved.append((space, key, value))
                    space[key] = _Tripwire(library, self.touched)
        self._import = builtins.__import__
        real_import, touched, libraries = self._import, self.touched, self.libraries

        def guarded_import(name: str, *args: Any, **kwargs: Any) -> Any:
            if name.split(".")[0] in libraries and threading.get_ident() not in TRUSTED_THREADS:
                touched.append(name.split(".")[0])
                raise ForbiddenLibrary(f"{name} may not be used in this exercise")
            return real_import(name, *args, **kwargs)

        builtins.__import__ = guarded_import
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self.libraries:
            return
        import builtins

        if self._import is not None:
            builtins.__import__ = self._import
        for space, key, value in self._saved:
            space[key] = value
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        if self._mode is not None:
            try:
                self._mode.__exit__(None, None, None)
            except Exception:  # the student's code took our mode off torch's stack: that is using torch
                self.touched.append("torch")


class _ImportBlocker:
    """A ``sys.meta_path`` finder: a forbidden library cannot be newly imported by any route."""

    def __init__(self, libraries: tuple[str, ...], touched: list[str]) -> None:
        self.libraries, self.touched = libraries, touched

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        root = name.partition(".")[0]
        if root in self.libraries and threading.get_ident() not in TRUSTED_THREADS:
            self.touched.append(root)
            raise ForbiddenLibrary(f"{name} may not be used in this exercise")
        return None


def _imported(name: str) -> bool:
    """In sys.modules and done executing (not half way through a background import)."""
    module = sys.modules.get(name)
    return module is not None and not getattr(getattr(module, "__spec__", None), "_initializing", False)


def _torch_tripwire(touched: list[str]) -> Any:
    """A torch dispatch mode that refuses every operation: torch computes nothing during the call."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class NoTorch(TorchDispatchMode):
        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            touched.append("torch")
            raise ForbiddenLibrary(f"torch ({func}) may not be used in this exercise")

    return NoTorch()


def _syntax_location(exc: BaseException, submission_dir: str) -> dict | None:
    if not isinstance(exc, SyntaxError) or not exc.filename:
        return None
    real = os.path.realpath(exc.filename)
    if not real.startswith(os.path.realpath(submission_dir) + os.sep):
        return None
    return {"file": os.path.relpath(real, os.path.realpath(submission_dir)), "line": exc.lineno,
            "offset": exc.offset, "text": (exc.text or "").rstrip("\n"), "msg": exc.msg}


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)[:2000]
    except Exception:  # a student's exception may break __str__
        return f"<{type(exc).__name__}: message unavailable>"


def _flush_student_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # the student may have replaced or closed them: their loss, not ours
            pass


def main(argv: list[str]) -> None:
    submission_dir, req_fd, resp_fd = argv[0], int(argv[1]), int(argv[2])
    requests = os.fdopen(req_fd, "rb", buffering=0)
    responses = os.fdopen(resp_fd, "wb", buffering=0)
    sys.path.insert(0, submission_dir)
    sys.setrecursionlimit(10_000)
    Worker(submission_dir, requests, responses).serve()
