"""Stage what the bundle carries besides code: the embedded model and the interface fonts.

    python packaging/stage.py OUT_DIR

writes OUT_DIR/models/<model>.gguf with a manifest beside it (the manifest's "chunks" dropped:
the bundle has the assembled file, not the chunk packages), and OUT_DIR/fonts/ with WenQuanYi
Micro Hei and Noto Color Emoji from /usr/share/fonts. Inside the bundle, ``paths.manifest_dirs()``
finds ``<bundle>/_internal/models`` (``sys._MEIPASS``) before the package's own chunk manifests.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


def stage_model(out: Path) -> Path:
    from edge_counsel.engine import manifest as mf

    path, manifest = mf.resolve_model(None)  # assembles and verifies (sha256) when needed
    folder = out / "models"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if not target.exists() or target.stat().st_size != path.stat().st_size:
        _link_or_copy(path, target)
    data = manifest.to_dict()
    data.pop("chunks", None)
    data["file"] = path.name
    (folder / f"{manifest.id}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                                                encoding="utf-8")
    return target


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def stage_fonts(out: Path) -> list[Path]:
    from edge_counsel.ui.fonts import FONT_FILES

    folder = out / "fonts"
    folder.mkdir(parents=True, exist_ok=True)
    staged = []
    for name in FONT_FILES:
        found = next((p for d in FONT_DIRS if d.is_dir() for p in d.rglob(name)), None)
        if found is None:
            print(f"stage: font {name} not found under /usr/share/fonts; install fonts-wqy-microhei "
                  "and fonts-noto-color-emoji (setup.sh does)", file=sys.stderr)
            continue
        shutil.copy2(found, folder / name)
        staged.append(folder / name)
    return staged


def main(argv: list[str]) -> int:
    out = Path(argv[1])
    model = stage_model(out)
    fonts = stage_fonts(out)
    print(f"stage: model {model.name} ({model.stat().st_size / 1e6:.0f} MB), fonts: "
          f"{', '.join(f.name for f in fonts) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
