"""Icons ship with the package and load; the PySide reference guard keeps the process alive."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from rostergui.ui import icons, qt_fixes
from rostergui.ui.main_window import MainWindow

NAMES = (
    "sync",
    "sync-all",
    "cancel",
    "add",
    "remove",
    "export",
    "history",
    "settings",
    "members",
    "about",
    "test-user",
    "edit",
)


def test_every_icon_loads(qtbot: QtBot) -> None:
    for name in NAMES:
        icon = icons.icon(name)
        assert not icon.isNull(), name
        assert not icon.pixmap(24, 24).toImage().isNull()
    assert not icons.app_icon().isNull()
    assert icons.icon("no-such-icon").isNull()


def test_desktop_icon_is_the_packaged_one() -> None:
    root = Path(__file__).resolve().parents[2]
    shipped = root / "resources" / "icons" / "rostersync.svg"
    assert shipped.read_bytes() == icons.icon_path(icons.APP_ICON).read_bytes()
    desktop = (root / "resources" / "rostersync.desktop").read_text(encoding="utf-8")
    assert "Icon=rostersync" in desktop and "Exec=rostersync" in desktop


class _Pinger(QObject):
    ping = Signal()


def test_signals_and_void_calls_do_not_exhaust_singletons(qtbot: QtBot) -> None:
    qt_fixes.apply()
    pinger, label = _Pinger(), QLabel()
    qtbot.addWidget(label)
    for _ in range(30_000):
        pinger.ping.emit()
        label.setText("x")
    assert sys.getrefcount(True) > 1000
    assert sys.getrefcount(None) > 1000


def _palette(window: str, text: str, button: str | None = None) -> QPalette:
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.Base, window),
        (QPalette.ColorRole.Button, button or window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.ButtonText, text),
    ):
        palette.setColor(role, QColor(colour))
    return palette


#: Real palettes: Windows dark mode and Fusion dark (pure white text), a GNOME-like dark theme
#: (off-white), Windows high contrast (white on black, yellow on black), and the light default.
PALETTES = {
    "windows-dark": _palette("#202020", "#ffffff", "#2d2d2d"),
    "fusion-dark": _palette("#353535", "#ffffff"),
    "adwaita-dark": _palette("#242424", "#f6f5f4", "#303030"),
    "high-contrast-black": _palette("#000000", "#ffffff"),
    "high-contrast-yellow": _palette("#000000", "#ffff00"),
    "light": _palette("#efefef", "#000000"),
}


def _luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def _contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("theme", sorted(PALETTES))
def test_line_icons_contrast_with_the_background_in_every_palette(
    qtbot: QtBot, theme: str
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    app.setPalette(PALETTES[theme])
    icons.clear_cache()
    try:
        background = app.palette().color(QPalette.ColorRole.Window)
        for name in NAMES:
            image = icons.icon(name).pixmap(32, 32).toImage()
            # What the admin sees: the icon composited over the window's colour.
            strong = 0
            for y in range(image.height()):
                for x in range(image.width()):
                    pixel = image.pixelColor(x, y)
                    if pixel.alphaF() < 0.9:
                        continue
                    if _contrast(pixel, background) >= 3.0:
                        strong += 1
            assert strong >= 20, f"{name} on {theme}: {strong} pixels stand out"
    finally:
        app.setPalette(before)
        icons.clear_cache()


def test_tint_replaces_each_placeholder_once() -> None:
    svg = '<path stroke="#445566"/><circle fill="#FFFFFF"/>'
    assert icons.tint(svg, "#ffffff", "#202020") == (
        '<path stroke="#ffffff"/><circle fill="#202020"/>'
    )


def test_the_window_retints_its_icons_when_the_palette_turns_dark(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    icons.clear_cache()
    window = make_window()
    try:
        app.setPalette(PALETTES["windows-dark"])
        qtbot.waitUntil(lambda: _stands_out(window.sync_action.icon()), timeout=3000)
        tab = window.tabs.tabIcon(window.tabs.indexOf(window.member_panel))
        assert _stands_out(tab)
    finally:
        app.setPalette(before)
        icons.clear_cache()


def _stands_out(icon: QIcon) -> bool:
    background = QColor(PALETTES["windows-dark"].color(QPalette.ColorRole.Window))
    image = icon.pixmap(24, 24).toImage()
    strong = sum(
        1
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).alphaF() >= 0.9
        and _contrast(image.pixelColor(x, y), background) >= 3.0
    )
    return strong >= 20
