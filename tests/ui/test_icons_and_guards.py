"""Icons ship with the package and load; the PySide reference guard keeps the process alive."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from rostergui.ui import icons, qt_fixes

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
