"""The palettes the window is checked on: light (Fusion's own), a dark one and the two
high-contrast themes (white on black and black on white, as Windows and GNOME ship them).

The dark palette is the common Fusion dark recipe that Qt applications and desktops use; the
high-contrast ones follow Windows' "High Contrast Black" and "High Contrast White".
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QStyleFactory

Role = QPalette.ColorRole


def _palette(colours: dict[QPalette.ColorRole, str], disabled_text: str) -> QPalette:
    palette = QPalette()
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (Role.Text, Role.WindowText, Role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled_text))
    return palette


def light() -> QPalette:
    style = QStyleFactory.create("Fusion")
    assert style is not None
    return style.standardPalette()


def dark() -> QPalette:
    return _palette(
        {
            Role.Window: "#353535",
            Role.WindowText: "#ffffff",
            Role.Base: "#191919",
            Role.AlternateBase: "#353535",
            Role.ToolTipBase: "#353535",
            Role.ToolTipText: "#ffffff",
            Role.Text: "#ffffff",
            Role.Button: "#353535",
            Role.ButtonText: "#ffffff",
            Role.BrightText: "#ff0000",
            Role.Link: "#2a82da",
            Role.Highlight: "#2a82da",
            Role.HighlightedText: "#000000",
            Role.PlaceholderText: "#a0a0a0",
        },
        "#7f7f7f",
    )


def high_contrast_black() -> QPalette:
    return _palette(
        {
            Role.Window: "#000000",
            Role.WindowText: "#ffffff",
            Role.Base: "#000000",
            Role.AlternateBase: "#000000",
            Role.ToolTipBase: "#000000",
            Role.ToolTipText: "#ffffff",
            Role.Text: "#ffffff",
            Role.Button: "#000000",
            Role.ButtonText: "#ffffff",
            Role.Link: "#ffff00",
            Role.Highlight: "#1aebff",
            Role.HighlightedText: "#000000",
            Role.PlaceholderText: "#ffffff",
        },
        "#3ff23f",
    )


def high_contrast_white() -> QPalette:
    return _palette(
        {
            Role.Window: "#ffffff",
            Role.WindowText: "#000000",
            Role.Base: "#ffffff",
            Role.AlternateBase: "#ffffff",
            Role.ToolTipBase: "#ffffff",
            Role.ToolTipText: "#000000",
            Role.Text: "#000000",
            Role.Button: "#ffffff",
            Role.ButtonText: "#000000",
            Role.Link: "#00009f",
            Role.Highlight: "#37006e",
            Role.HighlightedText: "#ffffff",
            Role.PlaceholderText: "#000000",
        },
        "#600000",
    )


PALETTES = {
    "light": light,
    "dark": dark,
    "high-contrast-black": high_contrast_black,
    "high-contrast-white": high_contrast_white,
}
