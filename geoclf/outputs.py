"""Outputs that appear whole or not at all.

Every file geoclf writes goes to a hidden temporary name in the destination folder
and is renamed into place only when it is complete, so an error or Ctrl-C never
leaves a half-written file where the user expects a result.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterable, Iterator

from .errors import GeoclfError


def check_destination(path: str | os.PathLike, overwrite: bool, reads: Iterable[str | os.PathLike | None] = ()) -> Path:
    """Fail early, before any work, if `path` cannot be written, or if writing it would destroy a file the work `reads`.

    --overwrite replaces an earlier result, never the input: `train samples.gpkg -o
    samples.gpkg --overwrite` would otherwise swap the field data for a model file.
    """
    path = Path(path)
    if path.exists():
        for source in reads:
            if source is not None and _same_file(path, source):
                raise GeoclfError(f"{path} is also an input of this command ({source}): writing it would destroy that input; choose another output name")
        if not overwrite:
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
def atomic_output(path: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` if the block succeeds.

    The temporary name keeps the extension, so format drivers that look at it
    (GDAL, pyogrio) still pick the right one.
    """
    final = check_destination(path, overwrite)
    temporary = final.with_name(f".{final.stem}-{uuid.uuid4().hex[:8]}.partial{final.suffix}")
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())  # some writers create 0600 files; a result is for sharing
        os.replace(temporary, final)
    except GeoclfError:
        raise
    except Exception as error:
        if not _is_write_failure(error):
            raise
        # A full disk, a file-size limit, a driver's refusal: one line in the user's terms, naming their file.
        while error.__cause__ is not None and "previous exception" in str(error):  # rasterio: the GDAL error is the cause
            error = error.__cause__
        reason = (str(error).replace(str(temporary), str(final)).splitlines() or [type(error).__name__])[0]
        raise GeoclfError(f"{final} was not written ({reason}): check the space left in {final.resolve().parent} or choose another folder") from None
    finally:
        # Nothing is left behind on failure (a driver may have made a folder); after success the name is gone already.
        if temporary.is_dir() and not temporary.is_symlink():
            shutil.rmtree(temporary, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


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
