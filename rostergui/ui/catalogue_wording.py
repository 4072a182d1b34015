"""What the catalogue's windows say: Find person and Import courses, decided without Qt.

Beside :mod:`rostergui.ui.wording` (the main window's words, loaded with its first frame),
this module words the two windows an admin opens for a whole catalogue. They are loaded only
when opened, and so is this module: it may import the core's import rows, which load
SQLAlchemy, where the main window's words must not. Plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rostergui.core.course_import import RowOutcome
from rostergui.ui.badges import Tone

# --- Find person --------------------------------------------------------------------------------


def find_person_hint() -> str:
    return "Type a name, an e-mail address or a user id; several words in any order."


def find_person_open_hint() -> str:
    return "Double-click a row, or press Enter, to show that member in the main window."


def find_person_loading() -> str:
    return "Loading everyone in every course…"


def find_person_failed(message: str | None) -> str:
    reason = message or "an unexpected error (see the log)"
    return f"Could not search the people: {reason}. Close this window and try again."


def people_found(people: int, courses: int, more: bool, text: str) -> str:
    """The line under Find person's results."""
    if people == 0:
        return (
            f"Nobody matches “{text.strip()}”. Check the spelling, or search by e-mail or user id."
        )
    who = "person" if people == 1 else "people"
    found = f"{people:,} {who} found, with {courses:,} course memberships"
    if more:
        found = f"The first {found}; type more to narrow the search"
    return found + "."


def person_in_course(
    person: str, course: str, role: str, status: str, seen: str, *, removed: bool
) -> str:
    """One Find person row as a screen reader says it."""
    where = f"{course} (removed)" if removed else course
    return f"{person}, {role} in {where}, {status}, last seen {seen}"


def course_gone(course: str) -> str:
    return f"{course} is no longer in the course list; search again to see where the person is."


# --- Import courses -----------------------------------------------------------------------------


_IMPORT_STATES = {
    RowOutcome.READY: "ready",
    RowOutcome.IMPORTED: "imported",
    RowOutcome.SKIPPED: "skipped",
    RowOutcome.INVALID: "invalid",
    RowOutcome.REFUSED: "refused",
}


def import_tone(state: RowOutcome) -> Tone:
    """The colour of a row's state: ready and imported green, skipped amber, the rest red."""
    word = _IMPORT_STATES[state]
    tones = {"ready": Tone.FRESH, "imported": Tone.FRESH, "skipped": Tone.AGING}
    return tones.get(word, Tone.FAILED)


def import_hint() -> str:
    return (
        "Choose a CSV file with the columns name, base_url, and service_key or ltik (one course "
        "a row), or paste launch tokens. Nothing is saved before you press Import."
    )


def import_reading(path: str) -> str:
    return f"Reading {path}…"


def import_state(state: RowOutcome, reason: str | None, *, kept: bool = True) -> str:
    """A row's state in the import preview, then its outcome."""
    word = _IMPORT_STATES[state]
    if state == RowOutcome.READY and not kept:
        word = "left out"
    return f"{word}: {reason}" if reason else word


def import_preview(kept: int, states: Mapping[RowOutcome, int], missing_keys: Sequence[str]) -> str:
    """The line under the preview: what will be imported and what is not ready."""
    words = _IMPORT_STATES
    parts = [f"{kept:,} of {states.get(RowOutcome.READY, 0):,} ready rows will be imported"]
    for state in (RowOutcome.SKIPPED, RowOutcome.INVALID):
        if states.get(state):
            parts.append(f"{states[state]:,} {words[state]}")
    line = "; ".join(parts) + "."
    if missing_keys:
        line += f" Give the API key for {', '.join(missing_keys)} to import."
    return line


def import_button(kept: int) -> str:
    return f"Import {kept:,} course{'' if kept == 1 else 's'}"


def importing(count: int) -> str:
    return f"Importing {count:,} course{'' if count == 1 else 's'}…"


def import_stopping() -> str:
    return "Stopping after the row being imported; the rows already imported stay."


def import_done(counts: Mapping[RowOutcome, int], *, from_file: bool) -> str:
    """The summary once imported; a file holds secrets, so it says to delete it."""
    words = _IMPORT_STATES
    parts = [f"{counts[s]:,} {word}" for s, word in words.items() if counts.get(s)]
    line = (", ".join(parts) or "Nothing imported") + ". Each row says what became of it."
    if from_file and counts.get(RowOutcome.IMPORTED):
        line += " The file holds the courses' keys: delete it now that they are in the keyring."
    return line
