"""Render resources/icons/floridify.svg to the PNG, ICO and ICNS icons.

Writes floridify-<N>.png for each size in PNG_SIZES, floridify.ico for the
Windows build and floridify.icns for the macOS build. The ICO and ICNS
files store PNG-compressed images, which Windows Vista and later and
macOS 10.7 and later read.

Run from the project root (needs no display):

    .venv/bin/python packaging/render_icons.py
"""

import argparse
import os
import struct
import sys
from pathlib import Path

# Must be set before Qt loads, so the script also runs without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 32, 48, 64, 128, 256)

# ICNS element types that hold PNG data, by pixel size. 1024 px is the
# "512x512@2x" image (type ic10).
ICNS_TYPES = {
    16: b"icp4",
    32: b"icp5",
    64: b"icp6",
    128: b"ic07",
    256: b"ic08",
    512: b"ic09",
    1024: b"ic10",
}


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    """Render the SVG into a transparent size x size image, as PNG bytes."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)

    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError(f"Failed to encode the {size} px icon as PNG: Qt's PNG writer failed")
    return bytes(data.data())


def build_ico(pngs: dict[int, bytes]) -> bytes:
    """Pack PNG images into an ICO file (ICONDIR, ICONDIRENTRY list, data).

    A width or height byte of 0 means 256 px in the ICO directory.
    """
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, images = [], []

    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size
        entries.append(struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset))
        images.append(png)
        offset += len(png)

    return header + b"".join(entries) + b"".join(images)


def build_icns(pngs: dict[int, bytes]) -> bytes:
    """Pack PNG images into an ICNS file (big-endian type + length blocks)."""
    elements = [
        ICNS_TYPES[size] + struct.pack(">I", 8 + len(png)) + png
        for size, png in sorted(pngs.items())
    ]
    body = b"".join(elements)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--svg", type=Path, default=ICONS_DIR / "floridify.svg", help="source SVG file"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=ICONS_DIR, help="folder for the PNG, ICO and ICNS files"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Render every icon file; return the process exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - QPainter needs it

    renderer = QSvgRenderer(str(args.svg))
    if not renderer.isValid():
        message = f"Failed to load {args.svg}: missing or not a valid SVG file. Check the path and its XML."
        print(message, file=sys.stderr)
        return 1

    sizes = sorted({*PNG_SIZES, *ICO_SIZES, *ICNS_TYPES})
    pngs = {size: render_png(renderer, size) for size in sizes}
    args.out_dir.mkdir(parents=True, exist_ok=True)

    for size in PNG_SIZES:
        (args.out_dir / f"floridify-{size}.png").write_bytes(pngs[size])
    (args.out_dir / "floridify.ico").write_bytes(build_ico({s: pngs[s] for s in ICO_SIZES}))
    (args.out_dir / "floridify.icns").write_bytes(build_icns({s: pngs[s] for s in ICNS_TYPES}))

    print(f"Wrote {len(PNG_SIZES)} PNG files, floridify.ico and floridify.icns to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
