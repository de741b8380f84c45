"""Outputs that appear whole or not at all.

Every file geoclf writes goes to a hidden temporary name in the destination folder
and is renamed into place only when it is complete, so an error or Ctrl-C never
leaves a half-written file where the user expects a result; the files of one
command are placed together. Before any work, each destination is checked: its
extension names a format of its kind, it is not an input of the command, its
folder can be written.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import tempfile
import uuid
import zlib
from pathlib import Path
from typing import Iterable, Iterator

from .errors import GeoclfError


FORMS = {  # what each kind of output is written as, by extension (GDAL's and QGIS's convention: the name says it)
    "model": (".geoclf",),
    "raster": (".tif", ".tiff"),
    "points": (".gpkg", ".geojson", ".fgb", ".csv"),
    "polygons": (".gpkg", ".geojson", ".fgb"),
    "picture": (".png", ".pdf", ".svg"),
    "report": (".html", ".json", ".txt"),
    "style": (".qml",),
}
_TWIN_EXTRA = 48  # characters a temporary twin adds to a name: host, pid, tag, '.partial', a COG's '.gtiff'
_NAME_MAX = 255
# A temporary twin is named for its run, '.NAME-HOST-PID-TAG.partial.EXT', so that a later run on this machine can
# tell one left by a killed run (its process is gone) from one a live run is writing.
_HOST = f"{zlib.crc32(socket.gethostname().encode()) & 0xFFFF:04x}"
_TWIN = re.compile(r"^\.(?P<stem>.*)-(?P<host>[0-9a-f]{4})-(?P<pid>\d+)-[0-9a-f]{6}\.(?P<kind>partial|previous)(?P<rest>.*)$")


def check_destination(
    path: str | os.PathLike, overwrite: bool, reads: Iterable[str | os.PathLike | None] = (), form: str | None = None
) -> Path:
    """Fail early, before any work, if `path` cannot be written as a `form` output, or if writing it would
    destroy a file the work `reads`.

    --overwrite replaces an earlier result, never the input: `train samples.gpkg -o
    samples.gpkg --overwrite` would otherwise swap the field data for a model file.
    """
    if str(path).endswith(("/", os.sep)):
        raise GeoclfError(f"{path} is a folder name: give a file name for the output")
    path = Path(path)
    exists = path.exists()
    for source in reads if exists else ():  # first: of all that could be wrong, losing the input matters most
        if source is not None and _same_file(path, source):
            raise GeoclfError(f"{path} is also an input of this command ({source}): writing it would destroy that input; choose another output name")
    if form is not None:
        check_form(path, form)
    if len(path.name) + _TWIN_EXTRA > _NAME_MAX:
        raise GeoclfError(f"{path.name[:40]}...: the file name is too long ({len(path.name)} characters); keep it under {_NAME_MAX - _TWIN_EXTRA}")
    if exists and not overwrite:
        raise GeoclfError(f"{path} already exists: pass --overwrite to replace it, or choose another name")
    if path.is_dir():
        raise GeoclfError(f"{path} is a folder: give a file name for the output")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise GeoclfError(f"folder {folder} does not exist: create it first or choose another output path")
    try:  # os.access says yes to root in a read-only or virtual folder (/proc); a real file says what happens
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise GeoclfError(f"cannot write in folder {folder} ({error.strerror}): choose another output path") from None
    return path


def check_form(path: str | os.PathLike, form: str) -> None:
    """The extension must name a format this kind of output is written in (no Shapefile folder called 'out.xyz')."""
    suffix = Path(path).suffix.lower()
    if suffix == ".shp" and form in ("points", "polygons"):
        raise GeoclfError(f"{path}: a Shapefile is several files and cannot be written whole at once; write a .gpkg instead")
    if suffix not in FORMS[form]:
        given = f"'{suffix}'" if suffix else "no extension"
        raise GeoclfError(f"{path}: {given} is not a {form} format geoclf writes; end the name in {', '.join(FORMS[form])}")


def check_distinct(paths: Iterable[tuple[str, str | os.PathLike]]) -> None:
    """Refuse two outputs of one command on one path (the second would silently replace the first)."""
    seen: dict[str, str] = {}
    for role, path in paths:
        key = os.path.abspath(path)
        if key in seen:
            raise GeoclfError(f"the {seen[key]} and the {role} would both be written to {path}; give each its own file name")
        seen[key] = role


def _same_file(path: Path, source: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(path, source)
    except OSError:  # an input that is not a file (an extent, 'hull'): nothing to protect
        return False


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, overwrite: bool = False, form: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` if the block succeeds.

    The temporary name keeps the extension, so format drivers that look at it
    (GDAL, pyogrio) still pick the right one.
    """
    with atomic_outputs({form or "output": (path, form)}, overwrite) as temporaries:
        yield next(iter(temporaries.values()))


@contextlib.contextmanager
def atomic_outputs(paths: dict[str, tuple[str | os.PathLike, str | None]], overwrite: bool = False) -> Iterator[dict[str, Path]]:
    """Several outputs of one command, by role ({role: (path, form)}): all placed when the block succeeds, or none.

    A class map's GeoTIFF, style and probabilities belong together: if the last could not
    be placed, the first must not stay behind as if the run had worked.
    """
    check_distinct((role, path) for role, (path, _) in paths.items())
    finals = {role: check_destination(path, overwrite, form=form) for role, (path, form) in paths.items()}
    for folder in {final.parent for final in finals.values()}:
        clear_stale_twins(folder)
    temporaries = {role: _twin(final, "partial") for role, final in finals.items()}
    try:
        yield temporaries
        for temporary in temporaries.values():
            os.chmod(temporary, 0o666 & ~_umask())  # some writers create 0600 files; a result is for sharing
        for final in finals.values():
            if final.is_dir():  # appeared during the run; a folder is the user's, never moved or removed
                raise GeoclfError(f"{final} is now a folder (made while geoclf ran): nothing was written; move it away and run again")
        if overwrite:
            _place_together(temporaries, finals)
        else:
            _place_new(temporaries, finals)
    except GeoclfError:
        raise
    except Exception as error:
        if not _is_write_failure(error):
            raise
        raise _not_written(error, temporaries, finals) from None
    finally:
        # Nothing is left behind on failure (a driver may have made a folder); after success the names are gone already.
        for temporary in temporaries.values():
            _remove(temporary)


def _place_new(temporaries: dict[str, Path], finals: dict[str, Path]) -> None:
    """Without --overwrite: link every temporary to its final name, which must still be free; a file another run
    placed there since the start is never replaced (a hard link fails where a rename would clobber)."""
    placed: list[str] = []
    try:
        for role, final in finals.items():
            _link_new(temporaries[role], final)
            placed.append(role)
    except FileExistsError:
        for done in placed:
            _remove(finals[done])
        raise GeoclfError(
            f"{finals[role]} appeared while geoclf ran (another run writing it?): nothing was written; "
            "pass --overwrite to replace it, or choose another name"
        ) from None


def _link_new(temporary: Path, final: Path) -> None:
    try:
        os.link(temporary, final)  # FileExistsError if anything took the name meanwhile
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: check, then rename (a moment's race remains there)
        if final.exists():
            raise FileExistsError(final) from None
        os.replace(temporary, final)
        return
    temporary.unlink()


def _place_together(temporaries: dict[str, Path], finals: dict[str, Path]) -> None:
    """With --overwrite: rename every temporary to its final name; if one cannot be, undo the others and restore
    what they replaced."""
    aside = {role: _twin(final, "previous") for role, final in finals.items() if final.exists()}
    placed: list[str] = []
    try:
        for role, previous in aside.items():
            os.replace(finals[role], previous)
        for role, final in finals.items():
            os.replace(temporaries[role], final)
            placed.append(role)
    except OSError as error:
        failed = finals[role]
        for done in placed:
            _remove(finals[done])
        for back, previous in aside.items():
            if previous.exists():
                os.replace(previous, finals[back])
        raise GeoclfError(f"{failed} could not be put in place ({error.strerror}); no output was changed") from None
    for previous in aside.values():
        _remove(previous)


def _not_written(error: Exception, temporaries: dict[str, Path], finals: dict[str, Path]) -> GeoclfError:
    """A full disk, a file-size limit, a driver's refusal: one line in the user's terms, naming their file."""
    while error.__cause__ is not None and "previous exception" in str(error):  # rasterio: the GDAL error is the cause
        error = error.__cause__
    reason = (str(error).splitlines() or [type(error).__name__])[0]
    final = next(iter(finals.values()))
    for role, temporary in temporaries.items():
        if str(temporary) in reason:
            final, reason = finals[role], reason.replace(str(temporary), str(finals[role]))
    return GeoclfError(f"{final} was not written ({reason}): check the space left in {final.resolve().parent} or choose another folder")


def _twin(final: Path, kind: str) -> Path:
    return final.with_name(f".{final.stem}-{_HOST}-{os.getpid()}-{uuid.uuid4().hex[:6]}.{kind}{final.suffix}")


def clear_stale_twins(folder: Path) -> list[Path]:
    """Remove the temporaries that runs on this machine left when they were killed (SIGKILL, a power cut).

    Only twins whose process is gone: a live run's are never touched. A previous version set
    aside for --overwrite goes back in place if its new version never arrived.
    """
    cleared = []
    for entry in folder.glob(".*"):
        match = _TWIN.match(entry.name)
        if not match or match["host"] != _HOST or _alive(int(match["pid"])):
            continue
        final = entry.with_name(match["stem"] + match["rest"])
        if match["kind"] == "previous" and not final.exists():
            os.replace(entry, final)
        else:
            _remove(entry)
        cleared.append(entry)
    return cleared


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError, IsADirectoryError):
        path.unlink()


def _is_write_failure(error: Exception) -> bool:
    """An error of the file system or of a GDAL writer (rasterio, pyogrio), as opposed to a bug."""
    if isinstance(error, OSError):
        return True
    module = type(error).__module__ or ""
    return module.startswith(("rasterio", "pyogrio"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sidecar(path: str | os.PathLike, suffix: str) -> Path:
    """The path of a sidecar file, e.g. classes.tif -> classes.qml (QGIS's convention)."""
    return Path(path).with_suffix(suffix)
