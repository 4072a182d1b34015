"""The window's icons: small SVGs shipped inside the package, tinted to the palette.

Line icons are drawn in a placeholder colour and re-tinted with the palette's text colour when
loaded, so they read on light and dark themes alike (SVG renderers in Qt do not understand
``currentColor``). Shipping them as package files (``rostergui/ui/icons``) means they are found
the same way from a checkout, an installed wheel and a frozen bundle.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

ICON_DIR = Path(__file__).with_name("icons")
APP_ICON = "rostersync"

_INK = "#445566"  # placeholder stroke colour in the line icons
_PAPER = "#ffffff"  # placeholder fill for "holes" in line icons
#: Every icon is rendered at these sizes before the window first shows, so only the sizes the
#: styles draw: 16 px (menus, buttons, tabs), 24 or 32 px (toolbars). Others are scaled.
_SIZES = (16, 24, 32)
_PLACEHOLDERS = re.compile(f"{_INK}|{_PAPER}", re.IGNORECASE)
_cache: dict[tuple[str, str, str], QIcon] = {}


def icon_path(name: str) -> Path:
    return ICON_DIR / f"{name}.svg"


def _palette() -> QPalette:
    return QGuiApplication.palette()


def _render(renderer: QSvgRenderer, size: int, ratio: float) -> QPixmap:
    pixels = max(1, round(size * ratio))
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, pixels, pixels))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def tint(svg: str, ink: str, paper: str) -> str:
    """``svg`` with the placeholder stroke drawn in ``ink`` and its holes in ``paper``.

    One pass over the text: replacing one placeholder after the other would turn a white
    ``ink`` (Windows dark mode, Fusion dark) into ``paper`` as well, and the icon would vanish.
    """
    colours = {_INK: ink, _PAPER: paper}
    return _PLACEHOLDERS.sub(lambda match: colours[match.group(0).lower()], svg)


def icon(name: str, color: QColor | None = None) -> QIcon:
    """The named icon, tinted with ``color`` (default: the palette's button text)."""
    palette = _palette()
    ink = (color or palette.color(QPalette.ColorRole.ButtonText)).name()
    paper = palette.color(QPalette.ColorRole.Window).name()
    key = (name, ink, paper)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    path = icon_path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return QIcon()
    svg = tint(text, ink, paper).encode()
    app = QGuiApplication.instance()
    ratio = app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0
    renderer = QSvgRenderer(QByteArray(svg))
    result = QIcon()
    for size in _SIZES:
        result.addPixmap(_render(renderer, size, ratio))
    _cache[key] = result
    return result


def app_icon() -> QIcon:
    """The application icon in full colour (never tinted)."""
    return QIcon(str(icon_path(APP_ICON)))


def clear_cache() -> None:
    """Forget tinted icons, e.g. after the palette changed between light and dark."""
    _cache.clear()
