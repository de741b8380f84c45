"""Running the geoclf command line from inside QGIS, as the GRASS and SAGA providers run theirs.

QGIS's embedded Python cannot import torch, rasterio or geopandas safely beside its own
GDAL, so the plugin never imports geoclf: it starts `geoclf ... --progress lines` as a
child process, turns its 'progress: N%' lines into feedback.setProgress, its warnings
into the log's warnings, its other lines into the Processing log, its one-line error
into a QgsProcessingException (settings named by their dialog labels), and Cancel into SIGTERM (geoclf then
removes its temporary files, so no partial output). Not SIGINT: a QGIS or qgis_process started in the
background has SIGINT ignored, and geoclf inherits that and would run on until killed, leaving its temporaries.
"""

import os
import queue
import shlex
import shutil
import signal
import subprocess
import threading

from qgis.core import QgsApplication, QgsProcessingException

from .settings import description, in_labels

EXECUTABLE_SETTING = "GEOCLF_EXECUTABLE"  # Processing setting and environment variable share the name
ERROR_PREFIX = "geoclf: error: "
WARNING_PREFIX = "geoclf: warning: "
PROGRESS_PREFIX = "progress: "
CANCEL_GRACE_SECONDS = 20
# QGIS's own Python, PROJ and GDAL settings would mislead the geoclf environment's libraries.
SCRUBBED_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PROJ_LIB", "PROJ_DATA", "GDAL_DATA", "GDAL_DRIVER_PATH")

NOT_FOUND = (
    "geoclf executable not found: install geoclf (pip install geoclf) and set its full path under "
    "Processing > Options > Providers > geoclf > geoclf executable, or in the GEOCLF_EXECUTABLE environment variable"
)


def configured_executable():
    """The 'geoclf executable' Processing setting, or '' when unset or Processing is absent."""
    try:
        from processing.core.ProcessingConfig import ProcessingConfig
    except ImportError:
        return ""
    return (ProcessingConfig.getSetting(EXECUTABLE_SETTING) or "").strip()


def geoclf_executable():
    """The Processing setting, else $GEOCLF_EXECUTABLE, else `geoclf` on PATH; never sys.executable."""
    for origin, candidate in (
        ("the Processing setting 'geoclf executable'", configured_executable()),
        ("GEOCLF_EXECUTABLE", os.environ.get("GEOCLF_EXECUTABLE", "").strip()),
    ):
        if candidate:
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
            raise QgsProcessingException(f"{origin} points at {candidate}, which is not an executable file; fix the path")
    found = shutil.which("geoclf")
    if found:
        return found
    raise QgsProcessingException(NOT_FOUND)


def child_environment():
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_VARIABLES}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def thread_arguments(command_name):
    """--threads from QGIS's own 'Max cores to use' (Options > Rendering), where it is set and the command takes it;
    otherwise geoclf counts the cores itself."""
    cores = QgsApplication.maxThreads()
    takes_threads = "--threads" in description()["command_options"].get(command_name, [])
    return ["--threads", str(cores)] if cores > 0 and takes_threads else []


def _pump(stream, lines, name):
    for line in stream:
        lines.put((name, line.rstrip("\n")))
    lines.put((name, None))


def run_geoclf(arguments, feedback, progress=True, labels=None, echo=True):
    """Run `geoclf ARGUMENTS`; returns its standard output. Raises QgsProcessingException on failure or cancel.

    The error names settings, and the options in `labels` ({flag: label}), by their dialog labels.
    With `echo` off, the standard output (JSON for the algorithm, say) is returned but not logged.
    """
    command = [geoclf_executable(), *[str(a) for a in arguments]]
    if progress:
        command += ["--progress", "lines"]
    command += thread_arguments(str(arguments[0]))
    feedback.pushCommandInfo(" ".join(shlex.quote(part) for part in command))
    try:
        child = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, encoding="utf-8", errors="replace", env=child_environment(),
        )
    except OSError as error:
        raise QgsProcessingException(f"cannot start geoclf ({command[0]}): {error}") from None
    lines = queue.Queue()
    for stream, name in ((child.stdout, "out"), (child.stderr, "err")):
        threading.Thread(target=_pump, args=(stream, lines, name), daemon=True).start()

    output, error, tail, open_streams = [], None, [], 2
    while open_streams:
        if feedback.isCanceled():
            _stop(child)
            raise QgsProcessingException("geoclf was canceled; no output was written")
        try:
            name, line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        if line is None:
            open_streams -= 1
        elif name == "out":
            output.append(line)
            if echo:
                feedback.pushInfo(line)
        elif line.startswith(PROGRESS_PREFIX):
            percent = line[len(PROGRESS_PREFIX):].split("%", 1)[0]
            if percent.isdigit():
                feedback.setProgress(int(percent))
        elif line.startswith(ERROR_PREFIX):
            error = line[len(ERROR_PREFIX):]
        elif line.startswith(WARNING_PREFIX):
            feedback.pushWarning(line[len(WARNING_PREFIX):])
        else:
            tail = (tail + [line])[-5:]
            feedback.pushConsoleInfo(line)
    code = child.wait()
    child.stdout.close()
    child.stderr.close()
    if code != 0:
        raise QgsProcessingException(in_labels(error, labels) if error else f"geoclf failed (exit code {code}): {' | '.join(tail) or 'no message'}")
    return "\n".join(output)


def _stop(child):
    """Ask geoclf to stop (SIGTERM: it removes its temporary files, as on Ctrl-C), then insist."""
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM if os.name == "posix" else signal.CTRL_BREAK_EVENT)
    try:
        child.wait(CANCEL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
