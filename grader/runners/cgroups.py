"""Memory and process limits per child, with control groups where the judge may create them.

A cgroup counts every process of one child together, so a child that forks cannot multiply its
memory, and a child that holds its process slots cannot starve another (rlimits on processes count
per uid, not per child). cgroup v2 (``memory.max``, ``pids.max``) is used where the judge's own
cgroup is writable and delegates both controllers; cgroup v1 (``memory.limit_in_bytes``,
``pids.max``) where root sees those hierarchies. Elsewhere the children keep rlimits only, and
results.json says which was used.
"""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


class ChildCgroups:
    """A cgroup per template (a worker), and in it one cgroup per child with the limits."""

    def __init__(self, memory_bytes: int, processes: int) -> None:
        self.memory_bytes, self.processes = memory_bytes, processes
        self.kind = "rlimit"
        self.dirs: list[Path] = []
        name = f"dlgrade-{os.getpid()}-{secrets.token_hex(3)}"
        for kind, parents in (("cgroup v2", _v2_parent()), ("cgroup v1", _v1_parents())):
            if not parents:
                continue
            made = []
            try:
                for parent in parents:
                    folder = parent / name
                    folder.mkdir()
                    made.append(folder)
                self.dirs, self.kind = made, kind
                if kind == "cgroup v2":  # children of ours get both controllers
                    (made[0] / "cgroup.subtree_control").write_text("+memory +pids\n")
                probe = self.new_child()  # a limit the kernel refuses shows now, not per student
                self.release(probe)
                return
            except OSError:
                for folder in made:
                    _remove(folder)
                self.dirs, self.kind = [], "rlimit"

    @property
    def active(self) -> bool:
        return bool(self.dirs)

    def new_child(self) -> str:
        """A fresh cgroup for one child, with its limits; returns its name."""
        name = f"child-{secrets.token_hex(4)}"
        for folder in self.dirs:
            (folder / name).mkdir()
        for folder in self.dirs:
            for file, value in (("memory.max", self.memory_bytes), ("memory.swap.max", 0),
                                ("memory.limit_in_bytes", self.memory_bytes),
                                ("memory.memsw.limit_in_bytes", self.memory_bytes),
                                ("pids.max", self.processes)):
                path = folder / name / file
                if path.exists():
                    path.write_text(f"{value}\n")
        if not any((d / name / "pids.max").exists() for d in self.dirs):
            self.release(name)
            raise OSError("no pids controller in the child's cgroup")
        return name

    def procs_files(self, name: str) -> list[Path]:
        """The files a child writes its own pid into to join (before it forks anything)."""
        return [d / name / "cgroup.procs" for d in self.dirs]

    def members(self, name: str) -> list[int]:
        pids: set[int] = set()
        for folder in self.dirs:
            try:
                pids |= {int(p) for p in (folder / name / "cgroup.procs").read_text().split()}
            except (OSError, ValueError):
                continue
        return sorted(pids)

    def release(self, name: str) -> None:
        """Kill whatever the child left in its cgroup (without a PID namespace, a setsid daemon
        would be there), then remove the cgroup."""
        for _ in range(200):
            members = self.members(name)
            if not members:
                break
            kill = self.dirs[0] / name / "cgroup.kill"
            if kill.exists():
                try:
                    kill.write_text("1\n")
                except OSError:
                    pass
            for pid in members:
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
            time.sleep(0.01)
        for folder in self.dirs:
            _remove(folder / name)

    def close(self) -> None:
        for folder in self.dirs:
            for child in folder.glob("child-*"):
                if child.is_dir():
                    self.release(child.name)
            _remove(folder)
        self.dirs = []


def _own(hierarchy: str) -> str | None:
    """This process's cgroup path in one hierarchy ("" is v2's unified line)."""
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controllers.split(",") == [hierarchy] or (hierarchy == "" and controllers == ""):
                    return path
    except OSError:
        return None
    return None


def _v2_parent() -> list[Path]:
    """A v2 cgroup we may create children in, with memory and pids delegated to them."""
    if not (ROOT / "cgroup.controllers").exists():
        return []
    own = _own("")
    if own is None:
        return []
    folder = ROOT / own.lstrip("/")
    try:
        enabled = (folder / "cgroup.subtree_control").read_text().split()
    except OSError:
        return []
    if not {"memory", "pids"} <= set(enabled) or not os.access(folder, os.W_OK):
        return []
    return [folder]


def _v1_parents() -> list[Path]:
    parents = []
    for hierarchy in ("memory", "pids"):
        own = _own(hierarchy)
        folder = ROOT / hierarchy / (own or "").lstrip("/")
        if own is None or not (folder / "cgroup.procs").exists() or not os.access(folder, os.W_OK):
            return []
        parents.append(folder)
    return parents


def _remove(folder: Path) -> None:
    for _ in range(100):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)  # the last member is still on its way out
