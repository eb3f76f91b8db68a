"""A submission handed in as a zip: extracted safely, and the modules found at the top or one folder
down (how most people zip a folder)."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from ..errors import HarnessError

MAX_ZIP_BYTES = 64 << 20   # uncompressed: more than any honest set of course modules
MAX_ZIP_FILES = 2000


def unpack_zip(archive: Path, into: Path) -> Path:
    """Extract safely: sizes capped, no absolute paths, no '..', no links; returns the module folder."""
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_FILES:
                raise HarnessError(f"{archive.name}: {len(infos)} files in the archive (limit {MAX_ZIP_FILES})")
            total = sum(i.file_size for i in infos)
            if total > MAX_ZIP_BYTES:
                raise HarnessError(f"{archive.name}: expands to {total} bytes (limit {MAX_ZIP_BYTES}); "
                                   "submit only your .py modules or notebooks")
            for info in infos:
                name = info.filename
                parts = Path(name).parts
                is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
                if name.startswith("/") or ".." in parts or is_link or info.is_dir():
                    continue
                target = into.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, length=1 << 16)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise HarnessError(f"{archive.name}: not a readable zip archive ({exc})") from None
    # Accept modules at the top or inside one top-level folder (how most people zip a folder).
    children = [p for p in into.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    return into


def has_code(folder: Path) -> bool:
    """Any .py or .ipynb in an unpacked archive. A misnamed module (MLP.py) still counts: staging
    names it, while an archive of only a PDF or nothing at all is not a submission."""
    return any(p.suffix in (".py", ".ipynb") and p.is_file() for p in folder.rglob("*"))
