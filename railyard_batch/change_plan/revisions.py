"""A git revision's project files, read without touching the user's checkout.

:func:`resolve_commit` turns a revision (a branch, ``origin/main``, a tag, a commit) into a
commit, saying what is wrong when it cannot (not a repository, unknown, missing from a shallow
clone). :func:`extract` writes that commit's ``conf/``, ``pipelines/``, ``dvc.lock`` and
``*.dvc`` files into a directory of ours (``git archive``): the working tree, the index and
HEAD stay as they are.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
from pathlib import Path

from railyard_batch.errors import RevisionError

# What planning reads from a revision (besides *.dvc files, wherever they are).
PROJECT_PATHS = ("conf", "pipelines", "dvc.lock", "params.yaml")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RevisionError(f"Cannot run git in {repo}: {exc}") from None


def resolve_commit(repo: Path, rev: str, option: str = "--against") -> str:
    """The commit ``rev`` names; raise :class:`RevisionError` on one line when it names none."""
    if _git(repo, "rev-parse", "--git-dir").returncode != 0:
        raise RevisionError(
            f"The '{option}' option needs a git repository; {repo} is not in one. Got {rev!r}."
        )
    found = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if found.returncode == 0:
        return found.stdout.decode().strip()
    shallow = _git(repo, "rev-parse", "--is-shallow-repository").stdout.decode().strip()
    if shallow == "true":
        raise RevisionError(
            f"The '{option}' revision {rev!r} is not in this shallow clone; fetch it "
            "(`git fetch --unshallow`, or actions/checkout with fetch-depth: 0)."
        )
    raise RevisionError(
        f"The '{option}' option names an unknown git revision: {rev!r} "
        "(a branch, tag or commit that `git rev-parse` knows)."
    )


def package_version_at(repo: Path, commit: str) -> str | None:
    """``railyard_batch.__version__`` as the commit has it, when the project is this package."""
    shown = _git(repo, "show", f"{commit}:./railyard_batch/__init__.py")
    if shown.returncode != 0:
        return None
    match = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", shown.stdout.decode())
    return match.group(1) if match else None


def extract(repo: Path, commit: str, rev: str, dest: Path, option: str = "--against") -> Path:
    """Write the commit's project files (of the directory ``repo``) under ``dest``."""
    listed = _git(repo, "ls-tree", "-r", "--name-only", f"{commit}:./")
    if listed.returncode != 0:
        raise RevisionError(
            f"Cannot list the files of the '{option}' revision {rev!r} ({commit[:12]}): "
            f"{listed.stderr.decode().strip()}"
        )
    names = listed.stdout.decode().splitlines()
    if "conf/config.yaml" not in names:
        raise RevisionError(
            f"The '{option}' revision {rev!r} ({commit[:12]}) has no conf/config.yaml: "
            "it predates the project's configs or names another project."
        )
    wanted = sorted(
        {n.split("/", 1)[0] for n in names if n.split("/", 1)[0] in PROJECT_PATHS}
        | {n for n in names if n.endswith(".dvc")}
    )
    archive = _git(repo, "archive", "--format=tar", f"{commit}:./", "--", *wanted)
    if archive.returncode != 0:
        raise RevisionError(
            f"Cannot read the '{option}' revision {rev!r} ({commit[:12]}): "
            f"{archive.stderr.decode().strip()}"
        )
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest
