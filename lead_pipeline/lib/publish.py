"""Publish a refresh's files atomically under the output root (outputs.md).

Layout::

    <output>/<endYear>/<snapshotDate>/district|schools|detail|kias/...
    <output>/latest -> <endYear>/<snapshotDate>      (relative symlink)

Why it is built this way: operators open the files behind ``latest`` while the weekend refresh
runs, and a refresh can fail or be killed at any point. So a refresh writes into a hidden staging
folder beside the published ones (same filesystem, so renames are atomic), and only when every
file is complete is the folder renamed into place and ``latest`` swapped with ``os.replace`` of
a fresh symlink. A killed process leaves at most a hidden ``.staging-*`` folder (removed by a
later Publication once it is a day old) and never a half-written published folder or a
``latest`` pointing at one.

Republishing a date renames the old folder aside, renames the new one in, then deletes the old
one. A kill between those two renames would leave the date missing for a moment; the next
Publication (or ``recover``) puts the old folder back, so nothing published is ever lost.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType

__all__ = [
    "LATEST",
    "STALE_AFTER",
    "Publication",
    "latest",
    "prune",
    "recover",
    "replace_file",
    "run_staging",
]

LATEST = "latest"
STALE_AFTER = timedelta(days=1)

_STAGING_PREFIX = ".staging-"
_ASIDE_MARK = ".replaced-"  # <endYear>/.<date>.replaced-<token>: an old folder being replaced
_LINK_PREFIX = ".latest-"  # <output>/.latest-<token>: a symlink about to become `latest`
_GONE_PREFIX = ".pruned-"  # <endYear>/.pruned-<date>-<token>: a folder being deleted by prune
_YEAR = re.compile(r"\d{4}")


class Publication:
    """One refresh's files: written into ``staging``, published whole by ``commit``.

    Use as a context manager: leaving the block normally commits, an exception deletes the
    staging folder and leaves everything already published untouched.
    """

    def __init__(self, output_root: Path, end_year: int, snapshot_date: date,
                 staging: Path | None = None) -> None:
        if isinstance(snapshot_date, datetime):
            snapshot_date = snapshot_date.date()
        self.output_root = Path(output_root)
        self.end_year = int(end_year)
        self.snapshot_date = snapshot_date
        self.relative = f"{self.end_year}/{snapshot_date.isoformat()}"
        self.target = self.output_root / str(self.end_year) / snapshot_date.isoformat()
        self.output_root.mkdir(parents=True, exist_ok=True)
        recover(self.output_root)
        if staging is None:
            staging = _make_dir(
                self.output_root, f"{_STAGING_PREFIX}{self.end_year}-{snapshot_date.isoformat()}-"
            )
        elif Path(staging).parent != self.output_root or not Path(staging).name.startswith(
                _STAGING_PREFIX):
            raise ValueError(f"{staging} is not a staging folder of {self.output_root}")
        self.staging = Path(staging)
        self.staging.mkdir(exist_ok=True)
        self._state = "open"

    def __enter__(self) -> Publication:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
        elif self._state == "open":
            self.commit()

    def abort(self) -> None:
        """Drop the staging folder; nothing published changes."""
        if self._state == "open":
            shutil.rmtree(self.staging, ignore_errors=True)
            self._state = "aborted"

    def commit(self) -> Path:
        """Move staging to ``<endYear>/<snapshotDate>`` and point ``latest`` at it.

        Returns the published folder. If any step fails, the steps already taken are undone:
        staging is removed and a folder being replaced is put back, so the previous state
        stays published.
        """
        if self._state != "open":
            raise RuntimeError(f"publication already {self._state}")
        self._state = "committing"
        year_dir = self.target.parent
        aside: Path | None = None
        moved_in = False
        try:
            _check_latest_is_link(self.output_root)
            _fsync_tree(self.staging)
            year_dir.mkdir(exist_ok=True)
            if self.target.exists() or self.target.is_symlink():
                aside = year_dir / f".{self.target.name}{_ASIDE_MARK}{secrets.token_hex(4)}"
                os.rename(self.target, aside)
            os.rename(self.staging, self.target)
            moved_in = True
            _fsync_dir(year_dir)
            _point_latest(self.output_root, self.relative)  # the commit point
        except BaseException:
            self._state = "aborted"
            with contextlib.suppress(OSError):
                if moved_in:
                    os.rename(self.target, self.staging)
                if aside is not None:
                    os.rename(aside, self.target)
            shutil.rmtree(self.staging, ignore_errors=True)
            raise
        self._state = "committed"
        _fsync_dir(self.output_root)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
        return self.target


def run_staging(output_root: Path, run_id: str) -> Path:
    """The staging folder one Dagster run writes into from several assets (each family its own
    files), published whole by the run's last asset; `recover` clears it if the run dies."""
    return Path(output_root) / f"{_STAGING_PREFIX}run-{run_id}"


def latest(output_root: Path) -> Path | None:
    """The folder ``latest`` points at, or None when there is no (valid) ``latest`` yet."""
    link = Path(output_root) / LATEST
    if not link.is_symlink():
        return None
    folder = Path(os.path.normpath(link.parent / os.readlink(link)))
    return folder if folder.is_dir() else None


def replace_file(published_folder: Path, relative: str, write: Callable[[Path], None]) -> Path:
    """Replace one file of a published folder (a one-school refresh) without a torn state.

    ``write`` is called with a temporary path beside the target (same folder, same suffix);
    only if it returns normally is that file renamed over the target. If it raises, the old file
    stays as it was and the temporary file is removed. Returns the target path.
    """
    folder = Path(published_folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no published folder {folder}")
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"{relative!r} must be a path inside the published folder")
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.tmp-{secrets.token_hex(4)}{target.suffix}")
    try:
        write(tmp)
        if not tmp.is_file():
            raise FileNotFoundError(f"the writer did not create {tmp}")
        _fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return target


def prune(output_root: Path, keep_weeks: int, today: date) -> list[Path]:
    """Delete published ``<endYear>/<date>`` folders older than ``keep_weeks`` weeks.

    The folder ``latest`` points at is always kept, whatever its date. Each folder is first
    renamed to a hidden name, so a kill mid-delete never leaves a half-deleted folder under a
    published name. Returns the folders removed (their published paths), oldest first.
    """
    if keep_weeks < 0:
        raise ValueError("keep_weeks must be 0 or more")
    root = Path(output_root)
    cutoff = today - timedelta(weeks=keep_weeks)
    current = latest(root)
    current_key = os.path.normcase(os.path.realpath(current)) if current else None
    doomed = [
        (day, folder)
        for day, folder in _published(root)
        if day < cutoff and os.path.normcase(os.path.realpath(folder)) != current_key
    ]
    removed: list[Path] = []
    for _, folder in sorted(doomed):
        gone = folder.parent / f"{_GONE_PREFIX}{folder.name}-{secrets.token_hex(4)}"
        os.rename(folder, gone)
        shutil.rmtree(gone, ignore_errors=True)
        removed.append(folder)
    for year_dir in {folder.parent for folder in removed}:
        with contextlib.suppress(OSError):
            year_dir.rmdir()  # only when now empty
    recover(root)
    return removed


def recover(output_root: Path, *, stale_after: timedelta = STALE_AFTER) -> None:
    """Repair what a killed publish can leave behind; safe to call at any time.

    - a folder renamed aside for replacement whose replacement never arrived is put back;
      one whose replacement did arrive is deleted;
    - staging folders, half-made ``latest`` symlinks and half-pruned folders older than
      ``stale_after`` are deleted (younger ones may belong to a refresh still running).
    """
    root = Path(output_root)
    if not root.is_dir():
        return
    now = time.time()

    def stale(path: Path) -> bool:
        try:
            return now - path.lstat().st_mtime > stale_after.total_seconds()
        except FileNotFoundError:
            return False

    for entry in _children(root):
        name = entry.name
        if (name.startswith(_STAGING_PREFIX) and stale(entry)) or (
            name.startswith(_LINK_PREFIX) and entry.is_symlink() and stale(entry)
        ):
            _remove(entry)
        elif _YEAR.fullmatch(name) and entry.is_dir() and not entry.is_symlink():
            for inner in _children(entry):
                if _ASIDE_MARK in inner.name and inner.name.startswith("."):
                    original = entry / inner.name[1:].split(_ASIDE_MARK, 1)[0]
                    if not original.exists() and not original.is_symlink():
                        with contextlib.suppress(FileNotFoundError, FileExistsError):
                            os.rename(inner, original)
                    elif stale(inner):
                        _remove(inner)
                elif inner.name.startswith(_GONE_PREFIX) and stale(inner):
                    _remove(inner)


def _published(root: Path) -> Iterator[tuple[date, Path]]:
    """Every ``<endYear>/<YYYY-MM-DD>`` folder under the root."""
    for year_dir in _children(root):
        if not (_YEAR.fullmatch(year_dir.name) and year_dir.is_dir()):
            continue
        for folder in _children(year_dir):
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            try:
                day = date.fromisoformat(folder.name)
            except ValueError:
                continue
            yield day, folder


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _make_dir(parent: Path, prefix: str) -> Path:
    """A new folder with a random suffix and the usual permissions.

    Not ``tempfile.mkdtemp``: its 0700 mode would follow the folder into publication and hide
    the reports from other accounts.
    """
    while True:
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path


def _check_latest_is_link(root: Path) -> None:
    link = root / LATEST
    if link.exists() and not link.is_symlink():
        raise FileExistsError(f"{link} exists and is not a symlink; move it away first")


def _point_latest(root: Path, relative: str) -> None:
    """Swap ``latest`` to ``relative`` in one rename: readers see the old or the new target."""
    link = root / LATEST
    while True:
        tmp = root / f"{_LINK_PREFIX}{secrets.token_hex(4)}"
        try:
            os.symlink(relative, tmp, target_is_directory=True)
        except FileExistsError:
            continue
        break
    try:
        os.replace(tmp, link)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _fsync_tree(folder: Path) -> None:
    """Flush every file and folder of a tree to disk, so a crash after the rename that
    publishes it cannot expose empty or truncated files."""
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            _fsync_file(Path(dirpath) / name)
        _fsync_dir(Path(dirpath))


def _fsync_file(path: Path) -> None:
    if path.is_symlink():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # Directories cannot be fsync'ed on every platform or filesystem; durability is best effort.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
