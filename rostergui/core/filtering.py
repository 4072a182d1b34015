"""Filter-as-you-type matching shared by the member table, the command line and exports.

A query is split into words; a row matches when every word occurs somewhere in its text, in any
order. Matching ignores case and accents ("jose" finds "José", "angstrom" finds "Ångström"), so
admins find people whatever keyboard they have. Haystacks are folded once and reused; only the
query is folded per keystroke.
"""

from __future__ import annotations

import unicodedata


class _CombiningMarks(dict[int, int | None]):
    """A ``str.translate`` table that deletes combining marks, filled in as characters are
    met: a lookup is then a dict hit in C instead of a Python call per character."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_STRIP_MARKS = _CombiningMarks()


def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text``. ASCII, the common case, takes the fast
    path; 100,000 haystacks are folded each time a large roster loads."""
    if text.isascii():
        return text.casefold()
    return unicodedata.normalize("NFKD", text).translate(_STRIP_MARKS).casefold()


class SearchQuery:
    """A parsed filter text. Empty queries match everything."""

    __slots__ = ("words",)

    def __init__(self, text: str) -> None:
        # Longest words first: they are the most selective, so non-matches fail sooner.
        self.words = sorted({fold(w) for w in text.split()}, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self.words)

    def matches(self, folded_haystack: str) -> bool:
        return all(word in folded_haystack for word in self.words)

    def narrows(self, previous: SearchQuery) -> bool:
        """True when every row matching self also matches ``previous`` (typing more letters),
        so a filter can search only the rows the previous query kept."""
        return all(any(old in new for new in self.words) for old in previous.words)
