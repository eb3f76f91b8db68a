"""The sandbox's plan (grader/runners/isolation.py), without starting a child: what each mode promises,
the plan a fork follows, the template's command, and how a fork's own report is judged and written.
(tests/test_sandbox_layers.py checks real children against these promises.)"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from grader.runners import isolation
from grader.runners.isolation import Mode, covered, fork_plan, layers, template_command, template_config, verify

ROOT = Path(__file__).resolve().parents[1]
NAMESPACES_ROOT = Mode("namespaces", True, bwrap="/usr/bin/bwrap")
NAMESPACES_USER = Mode("namespaces", False, bwrap="/usr/bin/bwrap")
DROPPED = Mode("dropped-uid", True, landlock_abi=4)
LANDLOCK = Mode("landlock", False, landlock_abi=6)
UNSANDBOXED = Mode("unsandboxed", False)


def test_what_each_mode_is_made_of():
    assert NAMESPACES_ROOT.dedicated_uid and not NAMESPACES_USER.dedicated_uid
    assert DROPPED.dedicated_uid and DROPPED.uses_landlock and not Mode("dropped-uid", True).uses_landlock
    assert LANDLOCK.uses_landlock and not LANDLOCK.dedicated_uid and LANDLOCK.private_scratch
    assert not Mode("dropped-uid", True).private_scratch  # no namespaces, no Landlock: /tmp is shared
    assert not UNSANDBOXED.private_scratch and not UNSANDBOXED.uses_landlock


def test_unsandboxed_only_when_asked_and_it_says_so():
    mode = isolation.detect(unsandboxed=True)
    assert mode.name == "unsandboxed" and "--unsandboxed" in " ".join(mode.why)
    assert verify({}, mode, None, {}) == []  # nothing was promised


def test_a_mode_found_on_this_machine_promises_the_three_basics():
    try:
        mode = isolation.detect()
    except isolation.SandboxUnavailable:
        pytest.skip("no sandbox on this machine")
    assert set(isolation.NEEDED) <= set(mode.promises)
    assert ("dedicated_uid" in mode.promises) == mode.dedicated_uid
    assert ("pid_namespace" in mode.promises) == mode.namespaces


PLAN = dict(token="t1", submission=Path("/srv/sub"), run_dir=Path("/run/d"), limits={"cpu_s": 9},
            uid=1900000007, unreachable=["/course"], cgroup_procs=[])


def test_a_namespaced_fork_sees_only_its_own_view():
    plan = fork_plan(NAMESPACES_ROOT, **PLAN)
    assert plan["uid"] == plan["gid"] == 1900000007 and plan["seccomp"] and plan["namespaces"]
    assert plan["submission"] == "/dlgrade/inbox/t1" and plan["view"]["work"] == "/dlgrade/work"
    assert "/dlgrade/cgroup" in plan["view"]["hide"] and "landlock" not in plan
    user = fork_plan(NAMESPACES_USER, **PLAN)
    assert user["uid"] == 65534 and user["own_user_namespace"]  # nobody, inside its own user namespace


def test_a_fork_without_namespaces_gets_a_read_only_work_folder_and_landlock():
    plan = fork_plan(LANDLOCK, **PLAN)
    assert plan["uid"] is None and plan["work_dir"] == "/run/d/work-t1" and plan["work_writable"] is False
    assert plan["limits"] == {"cpu_s": 9, "processes_relative": 1}  # its uid is the judge's: count relative
    assert PLAN["limits"] == {"cpu_s": 9}  # the caller's limits are not changed
    read = plan["landlock"]["read"]
    assert "/srv/sub" in read and "/run/d/runtime" in read and plan["landlock"]["write"] == ["/dev/null"]
    assert str(ROOT) not in read and "/course" not in read and plan["landlock"]["abi"] == 6
    dropped = fork_plan(DROPPED, **PLAN)
    assert dropped["uid"] == 1900000007 and "processes_relative" not in dropped["limits"]
    assert "landlock" not in fork_plan(Mode("dropped-uid", True), **PLAN)
    assert fork_plan(UNSANDBOXED, **PLAN)["seccomp"] is False


def test_the_template_command_builds_a_read_only_root_from_an_allowlist(tmp_path):
    python = [sys.executable, "-m", "template"]
    assert template_command(LANDLOCK, python, tmp_path / "rt", tmp_path / "in", [], []) == python
    args = template_command(NAMESPACES_USER, python, tmp_path / "rt", tmp_path / "in", [ROOT], [tmp_path / "cg"])
    assert args[0] == "/usr/bin/bwrap" and args[-3:] == python and args[-4] == "--"
    assert "--unshare-user" in args and "--unshare-net" in args and "--die-with-parent" in args
    assert args[args.index("--remount-ro") + 1] == "/"
    binds = [(args[i + 1], args[i + 2]) for i, a in enumerate(args) if a in ("--bind", "--ro-bind")]
    assert (str(tmp_path / "rt"), "/dlgrade/runtime") in binds and (str(tmp_path / "cg"), "/dlgrade/cgroup/0") in binds
    assert all(not Path(src).resolve().is_relative_to(ROOT) for src, _ in binds)  # the course stays outside
    root_args = template_command(NAMESPACES_ROOT, python, tmp_path / "rt", tmp_path / "in", [], [])
    assert "--unshare-user" not in root_args  # root forks drop to a dedicated uid instead


def test_hidden_paths_inside_a_bound_python_home_are_covered(tmp_path, monkeypatch):
    home = tmp_path / "venv"
    (home / "course").mkdir(parents=True)
    (home / "key.txt").write_text("secret")
    monkeypatch.setattr(isolation, "python_homes", lambda: [home])
    assert covered([home / "course", home / "key.txt", tmp_path, home, home / "absent"]) == [
        home / "course", home / "key.txt"]
    args = template_command(NAMESPACES_USER, ["py"], tmp_path / "rt", tmp_path / "in", [home / "course",
                                                                                     home / "key.txt"], [])
    assert args[args.index(str(home / "course")) - 1] == "--tmpfs"
    assert args[args.index(str(home / "key.txt")) - 2:args.index(str(home / "key.txt"))] == ["--ro-bind",
                                                                                             "/dev/null"]


def test_the_template_knows_how_to_sweep_its_leftovers():
    assert template_config(NAMESPACES_ROOT) == {"parent": None}  # bwrap's --die-with-parent does it
    assert template_config(DROPPED) == {"parent": os.getpid(), "sweep": "uid"}
    assert template_config(LANDLOCK) == {"parent": os.getpid(), "sweep": "descendants", "subreaper": True}


GOOD_STATUS = {"CapEff": ["0000000000000000"], "CapPrm": ["0"], "CapInh": ["0"], "CapAmb": ["0"], "CapBnd": ["0"],
               "NoNewPrivs": ["1"], "Seccomp": ["2"], "Uid": ["0"]}


def kept_promises(uid: int) -> dict:
    return {"status": GOOD_STATUS, "uid_map": [["0", str(uid), "1"]], "socket_denied": True, "reachable": [],
            "namespaces": {ns: f"{ns}:[child]" for ns in ("user", "mnt", "pid", "net", "ipc", "uts")},
            "limits": {"cpu_s": 9}}


def test_a_fork_that_kept_every_promise_passes_verification():
    assert verify(kept_promises(1900000007), NAMESPACES_ROOT, 1900000007, {"pid": "pid:[template]"}) == []


@pytest.mark.parametrize("change, words", [
    (lambda o: o["status"].update(CapEff=["0000000000000400"]), "CapEff is 0000000000000400"),
    (lambda o: o["status"].update(CapBnd=["garbage"]), "CapBnd is garbage"),
    (lambda o: o.update(uid_map=[["0", "1900000008", "1"]]), "not its dedicated uid 1900000007"),
    (lambda o: o.update(uid_seen_by_judge=0), "runs as root"),
    (lambda o: o["namespaces"].update(pid="pid:[template]"), "shares its pid namespace with the other children"),
    (lambda o: o["namespaces"].pop("net"), "shares the judge's net namespace"),
    (lambda o: o.update(reachable=["/course/checks"]), "can read /course/checks"),
    (lambda o: o.pop("socket_denied"), "can open sockets"),
])
def test_each_broken_promise_is_named(change, words):
    observed = kept_promises(1900000007)
    observed["status"] = dict(GOOD_STATUS)
    change(observed)
    problems = verify(observed, NAMESPACES_ROOT, 1900000007, {"pid": "pid:[template]"})
    assert any(words in p for p in problems), problems


def test_the_report_of_the_layers_repeats_from_run_to_run(monkeypatch):
    first = layers(kept_promises(1900000007), NAMESPACES_ROOT, "cgroup v2")
    second = layers(kept_promises(1900000042), NAMESPACES_ROOT, "cgroup v2")  # another lease, same account
    assert first == second
    assert first["observed"]["uid"] == "a dedicated uid (not the judge's, not root)"
    assert first["observed"]["own_namespaces"] == ["ipc", "mnt", "net", "pid", "user", "uts"]
    assert all(first["layers"][k] for k in ("pid_namespace", "no_capabilities", "seccomp", "cgroup_limits",
                                              "dedicated_uid", "sockets_denied"))
    monkeypatch.setattr(isolation.os, "geteuid", lambda: 1000)  # a normal user's judge
    mine = layers(kept_promises(1000), LANDLOCK, "rlimit")
    assert mine["observed"]["uid"].startswith("the judge's own uid") and not mine["layers"]["dedicated_uid"]
    assert mine["layers"]["landlock"] and not mine["layers"]["cgroup_limits"]
    assert layers({}, UNSANDBOXED, "rlimit")["observed"]["uid"] == "unknown"
