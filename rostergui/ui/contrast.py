"""WCAG 2.1 contrast: the ratio between two colours, and a colour made readable on its
backgrounds.

Badge and note colours carry meaning (failed, stale, held), and admins read them on whatever
palette their desktop uses: light, dark or a high-contrast theme. Fixed colours that read well
on one palette fail on another, so every tone colour is checked against the backgrounds it is
actually drawn on and, where it falls short, darkened or lightened until it reaches the WCAG
AA ratio (4.5:1 for text). A test computes the same ratios for the light, a dark and the
high-contrast palettes.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QColor

#: WCAG AA: normal text, and large text or graphics (icons, a badge's dot, a border).
TEXT_RATIO = 4.5
LARGE_RATIO = 3.0
#: Lightness change per step while making a colour readable (HSL, 0..1).
_STEP = 0.02


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: QColor) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    return (
        0.2126 * _channel(colour.red())
        + 0.7152 * _channel(colour.green())
        + 0.0722 * _channel(colour.blue())
    )


def ratio(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two opaque colours, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def blend(top: QColor, bottom: QColor, alpha: float) -> QColor:
    """``top`` painted with opacity ``alpha`` over opaque ``bottom``."""
    return QColor(
        round(bottom.red() + (top.red() - bottom.red()) * alpha),
        round(bottom.green() + (top.green() - bottom.green()) * alpha),
        round(bottom.blue() + (top.blue() - bottom.blue()) * alpha),
    )


def readable(
    colour: QColor,
    backgrounds: Sequence[QColor],
    minimum: float = TEXT_RATIO,
    *,
    fill_alpha: float = 0.0,
) -> QColor:
    """``colour``, darkened on light backgrounds or lightened on dark ones until it has at
    least ``minimum`` contrast with every background. With ``fill_alpha`` the text also sits
    on a fill of its own colour at that opacity over each background (a badge's pill), which
    moves with it. Keeps the hue, so a red badge stays red."""
    if not backgrounds:
        return QColor(colour)
    dark_backgrounds = sum(luminance(b) for b in backgrounds) / len(backgrounds) < 0.18
    hue, saturation, lightness = colour.hslHueF(), colour.hslSaturationF(), colour.lightnessF()
    candidate = QColor(colour)
    while True:
        grounds = [blend(candidate, b, fill_alpha) for b in backgrounds]
        if min(ratio(candidate, g) for g in grounds) >= minimum:
            return candidate
        if lightness <= 0.0 or lightness >= 1.0:
            # Black or white: as far as the hue can go. Black or white text then.
            return QColor("#ffffff" if dark_backgrounds else "#000000")
        lightness += _STEP if dark_backgrounds else -_STEP
        lightness = min(1.0, max(0.0, lightness))
        candidate = QColor.fromHslF(max(hue, 0.0), saturation, lightness)
