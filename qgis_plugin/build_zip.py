"""Build the zip that QGIS's Plugin Manager installs with "Install from ZIP".

    python qgis_plugin/build_zip.py [OUT_FOLDER]   (default: dist/)

The zip holds one top-level folder, geoclf_processing/, as the Plugin Manager expects;
caches and editor files are left out.
"""

import configparser
import sys
import zipfile
from pathlib import Path

PLUGIN = Path(__file__).resolve().parent / "geoclf_processing"
SKIP_PARTS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".orig", ".swp"}


def build(out_folder: Path) -> Path:
    meta = configparser.ConfigParser()
    meta.read(PLUGIN / "metadata.txt")
    out_folder.mkdir(parents=True, exist_ok=True)
    target = out_folder / f"{PLUGIN.name}-{meta['general']['version']}.zip"
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(PLUGIN.rglob("*")):
            if path.is_file() and not SKIP_PARTS & set(path.parts) and path.suffix not in SKIP_SUFFIXES:
                archive.write(path, Path(PLUGIN.name) / path.relative_to(PLUGIN))
    partial.replace(target)
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("dist")))
