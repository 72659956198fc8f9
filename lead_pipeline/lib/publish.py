"""Publish a refresh's files atomically under the output root (docs/outputs.md).

Layout::

    <output>/<endYear>/<snapshotDate>/district|schools|detail|kias/...
    <output>/latest -> <endYear>/<snapshotDate>      (relative symlink)

Why it is built this way: operators open the files behind ``latest`` while the weekend refresh
runs, and a refresh can fail or be killed at any point. So a refresh writes into a hidden staging
folder beside the published ones (same filesystem, so renames are atomic), and only when every
file is complete is the folder renamed into place and ``latest`` swapped with ``os.replace`` of
a fresh symlink. A killed process leaves at most a hidden ``.staging-*`` folder and never a
half-written published folder or a ``latest`` pointing at one. ``recover`` removes such
leftovers: at once when the caller holds the database lock (``unused=True``: no other refresh
can be writing into this output root), otherwise once they are a day old.

Republishing a date renames the old folder aside, renames the new one in, then deletes the old
one. A kill between those two renames would leave the date missing for a moment; the next
Publication (or ``recover``) puts the old folder back, so nothing published is ever lost.

Two-phase commit: ``Publication.commit(then=...)`` and ``replace_file(..., then=...)`` call
``then`` (typically the commit of a database transaction that records what was published) once
the new files are in place, and undo the publication if it raises, so the database and the
published files change together. What was replaced is kept aside until ``then`` returned.
(A kill while ``then`` runs cannot be undone: the new files stay published.)

A publication's age is the mtime of its ``<endYear>/<date>`` folder, set when it was published
(``commit`` stamps it after the rename), never its snapshot date: a snapshot dated far in the
future must not make last week's refresh look old. ``prune`` removes publications by that age on
the machine's clock and by count, and never the one ``latest`` points at.

Every path this module writes is checked with ``inside`` (symlinks resolved) against the output
root or the published folder, and every folder it creates is made with mode 0o770 (the process
umask may remove more): publications hold student data, so they are for the owner and group
only. Files and folders other modules wrote into staging lose any permission bit of "other"
users before they are published (bits are only ever removed, never added).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType

from lead_pipeline.lib.names import UnsafeName

__all__ = [
    "LATEST",
    "STALE_AFTER",
    "OutsideOutputRoot",
    "Publication",
    "inside",
    "latest",
    "prune",
    "recover",
    "replace_file",
    "run_staging",
]

LATEST = "latest"
STALE_AFTER = timedelta(days=1)

# folders made here: owner and group only (docs/outputs.md); the umask may remove more
DIR_MODE = 0o770

_STAGING_PREFIX = ".staging-"  # <output>/.staging-*: a refresh's (or one school's) files
_ASIDE_MARK = ".replaced-"  # <endYear>/.<date>.replaced-<token>: an old folder being replaced
_LINK_PREFIX = ".latest-"  # <output>/.latest-<token>: a symlink about to become `latest`
_GONE_PREFIX = ".pruned-"  # <endYear>/.pruned-<date>-<token>: a folder being deleted
_TMP_MARK = ".tmp-"  # <folder>/.<stem>.tmp-<token>[-old]<suffix>: replace_file's files
_TMP = re.compile(r"\..+\.tmp-[0-9a-f]{8}(?:-old)?(?:\.[A-Za-z0-9]+)?")
_YEAR = re.compile(r"\d{4}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_WEEK_SECONDS = 7 * 86_400


class OutsideOutputRoot(ValueError):
    """A path about to be written resolves (symlinks followed) outside the folder it must stay
    in. The message names that folder, and the path only as a short, printable excerpt: the
    path may be built from snapshot values."""


def inside(root: Path, path: Path) -> Path:
    """``path`` resolved (symlinks of its existing parts followed), when it lies below ``root``
    (resolved the same way); otherwise OutsideOutputRoot.

    Relative paths are relative to the working directory, as everywhere else. ``root`` itself
    is not inside: nothing is ever written as the output root. Checking the resolved path is
    what makes ``..``, an absolute path elsewhere and a symlink inside the root that points out
    all fail alike. (It checks the path as it is now; the output root is writable only by the
    refresh's owner and group, who are trusted not to swap symlinks in meanwhile.)
    """
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(path))
    if real_root not in real.parents:
        raise OutsideOutputRoot(f"refusing to write {_shown(path)}: it is not inside "
                                f"{real_root}")
    return real


def _shown(path: Path | str, limit: int = 40) -> str:
    """A short excerpt of a path for a message: its tail, control and other unprintable
    characters replaced, so a hostile name cannot forge log lines or hide itself."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(path)[-4 * limit:])
    if len(text) > limit:
        text = "..." + text[-(limit - 3):]
    return repr(text)


class Publication:
    """One refresh's files: written into ``staging``, published whole by ``commit``.

    Use as a context manager: leaving the block normally commits, an exception deletes the
    staging folder and leaves everything already published untouched. To publish together with
    a database change, call ``commit(then=...)`` inside the block.

    ``unused=True`` says the caller holds the database lock, so leftovers of killed refreshes
    are removed now rather than once a day old (see ``recover``); ``staging`` is always kept.
    """

    def __init__(self, output_root: Path, end_year: int, snapshot_date: date,
                 staging: Path | None = None, *, unused: bool = False) -> None:
        if isinstance(snapshot_date, datetime):
            snapshot_date = snapshot_date.date()
        self.output_root = Path(output_root)
        self.end_year = int(end_year)
        if not 1000 <= self.end_year <= 9999:
            # `prune` and `recover` look in 4-digit year folders only: another would stay forever
            raise ValueError(f"end year {self.end_year} is not a 4-digit year")
        self.snapshot_date = snapshot_date
        self.relative = f"{self.end_year}/{snapshot_date.isoformat()}"
        self.target = self.output_root / str(self.end_year) / snapshot_date.isoformat()
        _make_dirs(self.output_root)
        inside(self.output_root, self.target)
        if staging is not None:
            staging = Path(staging)
            if staging.parent != self.output_root or not staging.name.startswith(
                    _STAGING_PREFIX):
                raise ValueError(f"{_shown(staging)} is not a staging folder of "
                                 f"{self.output_root}")
            inside(self.output_root, staging)
        recover(self.output_root, unused=unused, keep=staging)
        if staging is None:
            staging = _make_dir(
                self.output_root, f"{_STAGING_PREFIX}{self.end_year}-{snapshot_date.isoformat()}-"
            )
        else:
            with contextlib.suppress(FileExistsError):
                os.mkdir(staging, DIR_MODE)
            inside(self.output_root, staging)  # not a symlink made meanwhile
        self.staging = staging
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

    def commit(self, *, then: Callable[[], None] | None = None) -> Path:
        """Move staging to ``<endYear>/<snapshotDate>``, stamp its mtime (its publication time,
        see ``prune``), point ``latest`` at it, then call ``then``.

        Returns the published folder. If any step fails, or ``then`` raises, the steps already
        taken are undone and the exception re-raised: ``latest`` points where it pointed
        before (or is removed when there was none), the new folder is deleted and a folder it
        replaced is put back, so the previous state stays published. The replaced folder is
        deleted only once ``then`` returned.
        """
        if self._state != "open":
            raise RuntimeError(f"publication already {self._state}")
        self._state = "committing"
        root = self.output_root
        year_dir = self.target.parent
        link = root / LATEST
        before: str | None = None
        made_year = False
        aside: Path | None = None
        moved_in = False
        pointed = False
        try:
            _check_latest_is_link(root)
            before = os.readlink(link) if link.is_symlink() else None
            inside(root, self.staging)
            _fsync_tree(self.staging)
            try:
                os.mkdir(year_dir, DIR_MODE)
                made_year = True
            except FileExistsError:
                pass
            inside(root, self.target)
            if self.target.exists() or self.target.is_symlink():
                aside = year_dir / f".{self.target.name}{_ASIDE_MARK}{secrets.token_hex(4)}"
                os.rename(self.target, aside)
            os.rename(self.staging, self.target)
            moved_in = True
            os.utime(self.target)  # the publication time: a publication's age (prune)
            _fsync_dir(year_dir)
            pointed = True  # from here on `latest` may have moved: undo must restore it
            _point_latest(root, self.relative)  # the commit point
            if then is not None:
                then()
        except BaseException:
            self._state = "aborted"
            self._undo(before, pointed, moved_in, aside, made_year)
            raise
        self._state = "committed"
        _fsync_dir(root)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
        return self.target

    def _undo(self, before: str | None, pointed: bool, moved_in: bool, aside: Path | None,
              made_year: bool) -> None:
        """Put back what ``commit`` changed. Each step is tried even when an earlier one failed:
        the caller re-raises the original error, which is the one worth reporting."""
        root = self.output_root
        year_dir = self.target.parent
        if pointed:
            with contextlib.suppress(OSError):
                if before is not None:
                    _point_latest(root, before)
                else:
                    (root / LATEST).unlink(missing_ok=True)
        if moved_in:
            with contextlib.suppress(OSError):
                os.rename(self.target, self.staging)
        if aside is not None:
            with contextlib.suppress(OSError):
                os.rename(aside, self.target)
        shutil.rmtree(self.staging, ignore_errors=True)
        if made_year:
            with contextlib.suppress(OSError):
                year_dir.rmdir()  # only when empty again
        _fsync_dir(year_dir)
        _fsync_dir(root)


def run_staging(output_root: Path, run_id: str) -> Path:
    """The staging folder one Dagster run writes into from several assets (each family its own
    files), published whole by the run's last asset; `recover` clears it if the run dies.

    The run id becomes part of a folder name, so it must look like one (Dagster's are UUIDs).
    """
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise UnsafeName("run id is not letters, digits, '-' and '_': refusing to use it in a "
                         "folder name")
    return Path(output_root) / f"{_STAGING_PREFIX}run-{run_id}"


def latest(output_root: Path) -> Path | None:
    """The folder ``latest`` points at, or None when there is no (valid) ``latest`` yet."""
    link = Path(output_root) / LATEST
    if not link.is_symlink():
        return None
    folder = Path(os.path.normpath(link.parent / os.readlink(link)))
    return folder if folder.is_dir() else None


def replace_file(published_folder: Path, relative: str, write: Callable[[Path], None],
                 then: Callable[[], None] | None = None) -> Path:
    """Replace one file of a published folder (a one-school refresh) without a torn state.

    ``write`` is called with a temporary path beside the target (same folder, same suffix);
    only if it returns normally is that file renamed over the target (losing any permission
    bit "other" users had). If it raises, the old file stays as it was and the temporary
    file is removed. Then ``then`` is called (e.g. the commit of the database change that
    records the refresh); if it raises, the old file is put back byte-identical (it was kept
    aside until ``then`` returned; a target that did not exist is removed again) and the
    exception re-raised. Returns the target path.

    The published folder's own mtime is kept: it is the publication's age (``prune``).
    """
    folder = Path(published_folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no published folder {folder}")
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"{_shown(relative)} must be a path inside the published folder")
    target = folder / rel
    inside(folder, target)
    published_at = folder.stat()
    token = secrets.token_hex(4)
    tmp = target.with_name(f".{target.stem}{_TMP_MARK}{token}{target.suffix}")
    old = target.with_name(f".{target.stem}{_TMP_MARK}{token}-old{target.suffix}")
    made: list[Path] = []
    try:
        made = _make_dirs(target.parent)
        inside(folder, tmp)
        kept_old = False
        try:
            write(tmp)
            if not tmp.is_file() or tmp.is_symlink():
                raise FileNotFoundError(f"the writer did not create {tmp.name}")
            _private(tmp)
            _fsync_file(tmp)
            if then is not None and (target.is_file() or target.is_symlink()):
                _keep_copy(target, old)  # the old file, to put back if `then` fails
                kept_old = True
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            old.unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        if then is not None:
            try:
                then()
            except BaseException:
                with contextlib.suppress(OSError):
                    if kept_old:
                        os.replace(old, target)
                    else:
                        target.unlink(missing_ok=True)
                    _fsync_dir(target.parent)
                raise
            old.unlink(missing_ok=True)
    except BaseException:
        for folder_made in reversed(made):
            with contextlib.suppress(OSError):
                folder_made.rmdir()
        raise
    finally:
        _keep_mtime(folder, published_at)
    return target


def prune(output_root: Path, keep_weeks: int, keep_count: int,
          now: datetime | None = None) -> list[Path]:
    """Delete published ``<endYear>/<date>`` folders older than ``keep_weeks`` weeks or beyond
    the newest ``keep_count``; returns them (their published paths), oldest first.

    Age and order are by publication time (the folder's mtime, stamped by ``commit``) against
    ``now`` (default: the machine's clock), never by snapshot date: a refresh of a snapshot
    dated 9999-12-31 does not make last week's publication old, and no folder name can make
    this fail. The folder ``latest`` points at is always kept, however old. Each folder is
    first renamed to a hidden name, so a kill mid-delete never leaves a half-deleted folder
    under a published name.
    """
    if keep_weeks < 0:
        raise ValueError("keep_weeks must be 0 or more")
    if keep_count < 1:
        raise ValueError("keep_count must be 1 or more")
    root = Path(output_root)
    clock = datetime.now() if now is None else now
    cutoff = clock.timestamp() - keep_weeks * _WEEK_SECONDS
    current = latest(root)
    current_key = os.path.normcase(os.path.realpath(current)) if current else None
    newest_first = sorted(_published(root), reverse=True)
    doomed = [
        folder
        for rank, (mtime_ns, _, folder) in enumerate(newest_first)
        if (rank >= keep_count or mtime_ns / 1e9 < cutoff)
        and os.path.normcase(os.path.realpath(folder)) != current_key
    ]
    removed: list[Path] = []
    for folder in reversed(doomed):
        gone = folder.parent / f"{_GONE_PREFIX}{folder.name}-{secrets.token_hex(4)}"
        try:
            os.rename(folder, gone)
        except FileNotFoundError:
            continue  # gone meanwhile
        shutil.rmtree(gone, ignore_errors=True)
        removed.append(folder)
    for year_dir in {folder.parent for folder in removed}:
        with contextlib.suppress(OSError):
            year_dir.rmdir()  # only when now empty
    recover(root)
    return removed


def recover(output_root: Path, *, unused: bool = False, keep: Path | None = None,
            stale_after: timedelta = STALE_AFTER) -> None:
    """Repair what a killed refresh can leave behind; safe to call at any time.

    - a folder renamed aside for replacement whose replacement never arrived is put back
      (always: a publication is never lost);
    - ``unused=True`` (the caller holds the database lock, so no other refresh can be writing
      into this output root): every other leftover is deleted now — staging folders (the
      run's and the one-school ``.staging-school-*`` ones), half-made ``latest`` symlinks,
      half-pruned folders, folders aside whose replacement arrived, and ``replace_file``'s
      temporary files in the folder ``latest`` points at;
    - otherwise only those older than ``stale_after`` (younger ones may belong to a refresh
      still running), and temporary files are left alone.

    ``keep`` (the caller's own staging folder) is never deleted.
    """
    root = Path(output_root)
    if not root.is_dir():
        return
    now = time.time()
    keep_name = None
    if keep is not None and os.path.realpath(Path(keep).parent) == os.path.realpath(root):
        keep_name = Path(keep).name

    def stale(path: Path) -> bool:
        if unused:
            return True
        try:
            return now - path.lstat().st_mtime > stale_after.total_seconds()
        except FileNotFoundError:
            return False

    for entry in _children(root):
        name = entry.name
        if name == keep_name:
            continue
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
    if unused:
        _remove_temporary_files(root)


def _remove_temporary_files(root: Path) -> None:
    """Delete ``replace_file``'s temporary and kept-aside files of a killed one-school refresh
    in the folder ``latest`` points at (only when it lies inside the root)."""
    current = latest(root)
    if current is None:
        return
    try:
        inside(root, current)
    except OutsideOutputRoot:
        return
    for dirpath, _dirnames, filenames in os.walk(current):  # symlinked folders not followed
        for name in filenames:
            if _TMP.fullmatch(name):
                _remove(Path(dirpath) / name)


def _published(root: Path) -> Iterator[tuple[int, str, Path]]:
    """Every ``<endYear>/<YYYY-MM-DD>`` folder under the root (real folders, no symlinks) with
    its publication time (mtime, ns) and name, to sort by."""
    for year_dir in _children(root):
        if not (_YEAR.fullmatch(year_dir.name) and _is_real_dir(year_dir)):
            continue
        for folder in _children(year_dir):
            if not _DAY.fullmatch(folder.name):
                continue
            try:
                info = folder.lstat()
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(info.st_mode):
                yield info.st_mtime_ns, str(folder), folder


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except FileNotFoundError:
        return False


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
    """A new folder with a random suffix, mode 0o770 (less if the umask says so).

    Not ``tempfile.mkdtemp``: its 0700 mode would follow the folder into publication and hide
    the reports from the group that reads them.
    """
    while True:
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            os.mkdir(path, DIR_MODE)
        except FileExistsError:
            continue
        return path


def _make_dirs(path: Path) -> list[Path]:
    """``mkdir -p`` where every folder made gets mode 0o770 (``Path.mkdir(parents=True)``
    makes the missing parents with the default mode, which may let everyone read them).
    Returns the folders it made, outermost first."""
    missing: list[Path] = []
    folder = Path(path)
    while not (folder.exists() or folder.is_symlink()) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    made: list[Path] = []
    for folder in reversed(missing):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:
            continue
        made.append(folder)
    return made


def _private(path: Path) -> None:
    """Drop the permission bits every user of the server has on ``path`` (a file or folder
    written by another module under whatever umask); never adds one, keeps setgid."""
    mode = stat.S_IMODE(path.lstat().st_mode)
    if mode & stat.S_IRWXO:
        os.chmod(path, mode & ~stat.S_IRWXO)


def _keep_copy(source: Path, copy: Path) -> None:
    """``copy`` holds ``source``'s bytes (and mode) until ``source`` is replaced: a second
    hard link when the filesystem has them, else a copy (a symlink stays a symlink)."""
    try:
        os.link(source, copy, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, copy, follow_symlinks=False)


def _keep_mtime(folder: Path, published_at: os.stat_result) -> None:
    with contextlib.suppress(OSError):
        os.utime(folder, ns=(published_at.st_atime_ns, published_at.st_mtime_ns))


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


FSYNC_THREADS = 4
"""Files flushed at once. The disk takes several flushes together faster than one after
another (the 154 files of a 100,000-student district: 0.06-0.075 s one by one, 0.04 s four at
a time); fsync waits without Python's lock."""


def _fsync_tree(folder: Path) -> None:
    """Flush every file and folder of a tree to disk, so a crash after the rename that
    publishes it cannot expose empty or truncated files; on the way, drop the permission bits
    a lax umask gave to every user of the server (never adds any). The files are flushed
    FSYNC_THREADS at a time, every one before its folders."""
    files: list[Path] = []
    folders: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                _private(path)
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                _private(path)
            files.append(path)
        folders.append(Path(dirpath))
    with ThreadPoolExecutor(max_workers=FSYNC_THREADS, thread_name_prefix="fsync") as pool:
        list(pool.map(_fsync_file, files))  # re-raises the first that failed
    for path in folders:
        _fsync_dir(path)
    _private(Path(folder))


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
