"""The command line under hostile and careless input: git revisions that look like options,
endless lines, a reader that goes away, a write that fails half-way, and the question of
which copy of the policy a command reads.

Memory and time are bounded by running the command in a subprocess under ``resource``
limits, with a generous ``timeout`` as a guard against hangs only.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from kdv_policy.cli.main import main
from kdv_policy.cli.revision import _extract
from kdv_policy.errors import PolicyLoadError
from kdv_policy.files import write_atomic
from kdv_policy.policy.loader import bundled_rules

ROOT = Path(__file__).resolve().parents[1]
REPO_RULES = ROOT / "rules"
GUARD = 300  # seconds: a guard against a hang, never a measure of speed


def cli(*args: str, cwd: Path = ROOT, **options) -> subprocess.CompletedProcess:
    """``python -m kdv_policy ARGS`` in a subprocess; ``query``, ``explain`` and ``test`` answer in
    English (``--lang en``), as these tests assert."""
    if args and args[0] in ("query", "explain", "test") and "--lang" not in args:
        args = (args[0], "--lang", "en", *args[1:])
    return subprocess.run([sys.executable, "-m", "kdv_policy", *args], cwd=cwd, timeout=GUARD, **options)


# -- 1. diff git:REV: a revision is never a git option, an archive never escapes ----------------------


GIT = shutil.which("git") or "git"  # .ci/run installs git; without it these tests fail, never skip
POLICY = '.decl may(a, b, c)\n@id(m1) @source("s") may(board, sign, contract).\n'


def _commit(repo: Path, files: dict[str, str], links: dict[str, str] | None = None) -> Path:
    """A git repository with ``rules/`` holding ``files`` (and symbolic ``links``), committed."""
    rules = repo / "rules"
    rules.mkdir(parents=True)
    for name, text in files.items():
        (rules / name).write_text(text, encoding="utf-8")
    for name, target in (links or {}).items():
        (rules / name).symlink_to(target)
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@b"}
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "rules"]):
        subprocess.run([GIT, "-C", str(repo), *cmd], check=True, env=env)
    return rules


def test_a_revision_that_looks_like_an_option_touches_no_file(tmp_path, capsys):
    rules = _commit(tmp_path / "repo", {"p.dl": POLICY})
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    absent = tmp_path / "absent.txt"
    for rev in (f"--output={victim}", f"--output={absent}", "--list", "-o/tmp/x", "-"):
        assert main(["diff", f"git:{rev}", str(rules)]) == 2
        err = capsys.readouterr().err
        assert "does not name a git revision" in err and "Traceback" not in err
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not absent.exists()


def test_an_unknown_revision_is_the_projects_error(tmp_path, capsys):
    rules = _commit(tmp_path / "repo", {"p.dl": POLICY})
    for rev in ("no-such-rev", "HEAD~5", "HEAD:p.dl", "HEAD^{tree}"):
        assert main(["diff", f"git:{rev}", str(rules)]) == 2
        assert f"at git revision `{rev}`" in capsys.readouterr().err
    assert main(["diff", "git:HEAD", str(rules)]) == 0  # a real commit still works


@pytest.mark.parametrize("target", ["/etc/passwd", "../../outside.dl", "p.dl"])
def test_a_revision_holding_a_symbolic_link_is_refused(target, tmp_path, capsys):
    rules = _commit(tmp_path / "repo", {"p.dl": POLICY}, links={"q.dl": target})
    assert main(["diff", "git:HEAD", str(rules)]) == 2
    err = capsys.readouterr().err
    assert "`rules/q.dl` is a link" in err and "holds only folders and regular files" in err


def _tar(path: Path, *members: tuple[tarfile.TarInfo, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def _info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info


@pytest.mark.parametrize(("member", "why"), [
    (_info("rules/../../escaped.dl"), "not a plain relative path"),
    (_info("/tmp/absolute.dl"), "not a plain relative path"),
    (_info("rules/hard.dl", tarfile.LNKTYPE, "../../outside.dl"), "is a link"),
    (_info("rules/soft.dl", tarfile.SYMTYPE, "/etc/passwd"), "is a link"),
    (_info("rules/dev", tarfile.CHRTYPE), "not a regular file or a folder"),
    (_info("rules/fifo.dl", tarfile.FIFOTYPE), "not a regular file or a folder"),
])
def test_an_archive_member_a_policy_cannot_hold_refuses_the_whole_archive(member, why, tmp_path):
    archive = _tar(tmp_path / "a.tar", (_info("rules/p.dl"), POLICY.encode()), (member, b"x"))
    target = tmp_path / "out" / "tree"
    target.mkdir(parents=True)
    with pytest.raises(PolicyLoadError, match=why):
        _extract(archive, target, "HEAD")
    assert list(target.iterdir()) == []  # nothing extracted, not even the good member
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar", "out"]


def test_an_archive_that_is_no_archive_is_the_projects_error(tmp_path):
    archive = tmp_path / "a.tar"
    archive.write_text("tar\nzip\ntgz\n", encoding="utf-8")  # what `git archive --list` prints
    with pytest.raises(PolicyLoadError, match="cannot be extracted"):
        _extract(archive, tmp_path, "--list")


# -- 5. query batches: line by line, each line bounded, answers as they come -----------------------------


def _address_space(limit: int):
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_query_file_dev_zero_is_refused(capsys):
    assert main(["query", "--lang", "en", "--file", "/dev/zero"]) == 2
    assert "`/dev/zero`: it is not a regular file or a pipe" in capsys.readouterr().err


def test_an_endless_line_on_stdin_ends_with_exit_2_in_bounded_memory():
    with open("/dev/zero", "rb") as zero:
        done = cli("query", "-", stdin=zero, capture_output=True, text=True,
                   preexec_fn=_address_space(1 << 30))
    assert done.returncode == 2, done.stderr
    assert "line 1 of `<stdin>` is longer than 4,000 characters" in done.stderr
    assert "--limit max_line_length=" in done.stderr and "Traceback" not in done.stderr


def test_an_over_long_line_names_its_number_and_the_limit_after_the_answers_before_it(
        tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    path = tmp_path / "questions.txt"
    path.write_text("chair of StA\n% a comment\n" + "x" * 4_001 + "\nchair of PA\n", encoding="utf-8")
    assert main(["query", "--lang", "en", "--file", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "chair of StA: 1 answer" and "chair of PA" not in out
    assert f"line 3 of `{path}` is longer than 4,000 characters" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("y" * 30 + "\n"))
    assert main(["query", "--lang", "en", "--limit", "max_line_length=20", "chair of StA", "-"]) == 2
    assert "line 1 of `<stdin>` is longer than 20 characters" in capsys.readouterr().err


def test_a_line_of_exactly_the_limit_is_read(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "stdin", io.StringIO("chair of StA\r\n" + "who chairs PA"))
    assert main(["query", "--lang", "en", "--limit", "max_line_length=13", "-"]) == 0
    heads = [line for line in capsys.readouterr().out.splitlines() if not line.startswith(" ")]
    assert heads == ["chair of StA: 1 answer", "who chairs PA: none"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("chair of StA\r\n" + "who chairs PA"))
    assert main(["query", "--lang", "en", "--limit", "max_line_length=12", "-"]) == 2
    assert "line 2 of `<stdin>` is longer than 12 characters" in capsys.readouterr().err


def test_answers_stream_while_stdin_is_still_open():
    child = subprocess.Popen([sys.executable, "-m", "kdv_policy", "query", "--lang", "en", "-"],
                             cwd=ROOT, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(child.stdout.readline()), daemon=True)
    try:
        child.stdin.write("chair of StA\n")
        child.stdin.flush()
        reader.start()
        reader.join(GUARD)  # stdin stays open: the answer must come before the batch ends
        assert first == ["chair of StA: 1 answer\n"]
    finally:
        child.kill()
        child.wait()


# -- 12. a reader that goes away -------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["test", "-v"], ["graph"], ["query", "members of StA"],
                                  ["explain", "members of StA"], ["check"]])
def test_a_closed_pipe_stops_the_command_quietly_with_141(args):
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte is written
    try:
        done = cli(*args, stdout=write, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write)
    assert done.returncode == 141, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert "Exception ignored" not in done.stderr


def test_head_ends_a_stream_of_answers():
    yes = "chair of StA\n" * 20_000
    done = subprocess.run(f"{sys.executable} -m kdv_policy query --lang en - | head -n 3", shell=True,
                          input=yes,
                          cwd=ROOT, capture_output=True, text=True, timeout=GUARD)
    assert done.stdout.splitlines()[0] == "chair of StA: 1 answer"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


# -- 13. fmt replaces a file at once, or not at all ------------------------------------------------------


MESSY = '.decl p(x).\n' + "".join(f'@id(f{i})   @source("s")  p({i}) .\n' for i in range(8_000))


def test_fmt_under_a_file_size_limit_leaves_the_original_untouched(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    messy = rules / "p.dl"
    messy.write_text(MESSY, encoding="utf-8")
    before = messy.read_bytes()
    assert len(before) > 4 * 65_536

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65_536, 65_536))

    done = cli("fmt", str(rules), cwd=tmp_path, capture_output=True, text=True, preexec_fn=limit_file_size)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot write `rules/p.dl`: File too large; the file is unchanged" in done.stderr
    assert "Traceback" not in done.stderr
    assert messy.read_bytes() == before
    assert [p.name for p in rules.iterdir()] == ["p.dl"]  # no temporary file left behind


def test_fmt_keeps_the_mode_and_follows_a_link(tmp_path, capsys):
    rules = tmp_path / "rules"
    rules.mkdir()
    messy = rules / "p.dl"
    messy.write_text('.decl p(x).\n@id(a)   @source("s")  p(1) .\n', encoding="utf-8")
    messy.chmod(0o640)
    real = tmp_path / "q.dl"
    real.write_text('.decl q(x).\n@id(b)   @source("s")  q(1) .\n', encoding="utf-8")
    (rules / "q.dl").symlink_to(real)
    assert main(["fmt", str(rules)]) == 0
    assert stat.S_IMODE(messy.stat().st_mode) == 0o640
    assert messy.read_text(encoding="utf-8") == '.decl p(x)\n@id(a)\n@source("s")\np(1).\n'
    assert (rules / "q.dl").is_symlink()
    assert real.read_text(encoding="utf-8").startswith(".decl q(x)\n@id(b)\n")


def test_write_atomic_into_a_missing_directory_is_a_policy_load_error(tmp_path):
    with pytest.raises(PolicyLoadError, match=r"cannot write .*the file is unchanged"):
        write_atomic(tmp_path / "nowhere" / "p.dl", "p.\n")


# -- 15. the policy being edited, not the installed copy; and said so ------------------------------------


NEW_DEPARTMENT = ('\n[[units]]\nid = "dzk"\nkind = "departement"\nname = "Departement für Zukunft"\n'
                  'abbreviations = ["DZK"]\n')


@pytest.fixture
def edited(tmp_path) -> Path:
    """A working directory with an edited copy of the repository's policy in ``rules/``."""
    shutil.copytree(REPO_RULES, tmp_path / "rules")
    with open(tmp_path / "rules" / "organisation.toml", "a", encoding="utf-8") as f:
        f.write(NEW_DEPARTMENT)
    return tmp_path


def test_the_policy_in_the_working_directory_wins(edited, monkeypatch, capsys):
    monkeypatch.chdir(edited)
    assert main(["query", "--lang", "en", "is DZK a consumer"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("is DZK a consumer: yes")
    assert err.startswith("policy: rules (version ")
    assert main(["query", "--lang", "en", "--format", "json", "is DZK a consumer"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["policy"]["directory"] == "rules" and row["policy"]["source"] == "local"
    assert main(["check"]) == 0
    assert re.search(r"checked \d+ files of rules: 0 errors", capsys.readouterr().out)
    assert main(["test", "--lang", "en"]) == 1  # the policy's own tests notice the new department has no DV
    out, err = capsys.readouterr()
    assert "Keinem Departement fehlt eine DV: expected no (no answer), got yes: [{U: dzk}]" in out
    assert err.startswith("policy: rules (version ")
    monkeypatch.chdir(edited / "rules")  # standing in the policy directory itself
    assert main(["query", "--lang", "en", "is DZK a consumer"]) == 0
    assert capsys.readouterr().err.startswith("policy: . (version ")


def test_an_explicit_policy_argument_wins_over_the_working_directory(edited, monkeypatch, capsys):
    monkeypatch.chdir(edited)
    assert main(["query", "--lang", "en", "--rules", str(REPO_RULES), "is DZK a consumer"]) == 2
    assert "unknown unit `DZK`" in capsys.readouterr().err


def test_without_a_local_policy_the_bundled_one_is_read_and_named(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["query", "--lang", "en", "chair of StA"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("policy: ") and ", the bundled policy (version " in err
    assert str(bundled_rules()) in err
    assert main(["query", "--lang", "en", "--format", "json", "chair of StA"]) == 0
    assert json.loads(capsys.readouterr().out)["policy"]["source"] == "bundled"
    assert main(["fmt"]) == 2  # the installed copy is never rewritten
    assert "no policy to format here" in capsys.readouterr().err


def test_the_installed_command_reads_the_edited_copy(edited):
    done = cli("query", "is DZK a consumer", cwd=edited, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("is DZK a consumer: yes")
    assert done.stderr.startswith("policy: rules (version ")


# -- --limit NAME=VALUE ----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["query", "chair of StA"], ["explain", "chair of StA"], ["check"],
                                     ["test"], ["graph"], ["diff", "rules", "rules"]])
def test_every_command_that_loads_a_policy_takes_limit(command, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main([command[0], "--limit", "max_itemz=5", *command[1:]]) == 2
    assert "unknown limit `max_itemz`; did you mean `max_items`?" in capsys.readouterr().err
    assert main([command[0], "--limit", "max_items=5", *command[1:]]) == 2  # the bound applies
    assert "50,000" not in capsys.readouterr().err


@pytest.mark.parametrize("setting", ["max_items", "max_items=", "max_items=-1", "max_items=0",
                                     "max_items=1e3", "max_items=" + "9" * 5000, "=5", "max_items=²"])
def test_a_bad_limit_is_a_usage_error(setting, capsys):
    assert main(["check", "--limit", setting]) == 2
    err = capsys.readouterr().err
    assert "argument --limit" in err and "Traceback" not in err


def test_a_raised_limit_lets_a_query_line_through(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    long_question = "chair of " + "StA" + " " * 5_000
    monkeypatch.setattr(sys, "stdin", io.StringIO(long_question + "\n"))
    assert main(["query", "--lang", "en", "--limit", "max_line_length=6000", "--limit",
                 "max_items=60000", "-"]) == 0
    assert capsys.readouterr().out.startswith("chair of StA: 1 answer")


def test_check_counts_the_diagnostics_it_does_not_show(tmp_path, capsys):
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "p.dl").write_text(".decl p(x)\n" + "p(;).\n" * 150, encoding="utf-8")
    assert main(["check", str(policy)]) == 1
    out = capsys.readouterr().out
    assert out.count("error: unexpected character") == 100  # the default cap of one file's diagnostics
    assert "and 50 more syntax errors in this file" in out
    assert out.rstrip().endswith("150 errors, 0 warnings")
