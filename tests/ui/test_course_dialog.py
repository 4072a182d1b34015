"""Adding a course through the dialog: validation, Test connection, secrets in the keyring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QDialog, QLabel
from pytestqt.qtbot import QtBot

from rostergui.core.secrets import MemoryKeyring
from rostergui.core.service import RosterService
from rostergui.simulator import DEFAULT_API_KEY, Simulator
from rostergui.ui import announce, course_dialog
from rostergui.ui.badges import Tone
from rostergui.ui.course_dialog import CourseDialog
from rostergui.ui.operation import Operations


@pytest.fixture
def runner() -> Iterator[Operations]:
    tasks = Operations()
    yield tasks
    assert tasks.shutdown()


def make_dialog(
    qtbot: QtBot, service: RosterService, runner: Operations, **kwargs: object
) -> CourseDialog:
    dialog = CourseDialog(service, runner, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_validation_messages_next_to_fields(
    qtbot: QtBot, runner: Operations, service: RosterService
) -> None:
    dialog = make_dialog(qtbot, service, runner, existing=["Biology"])
    dialog.save_button.click()
    assert dialog.name_error.isVisible()
    assert "name" in dialog.name_error.text()
    assert dialog.url_error.isVisible()
    assert dialog.api_key_note.isVisible()
    assert "ltik" in dialog.secret_error.text()

    dialog.name_edit.setText("biology")
    dialog.url_edit.setText("http://lti.example.com")
    dialog.save_button.click()
    assert "already exists" in dialog.name_error.text()
    assert "https" in dialog.url_error.text()  # the core's message, word for word
    dialog.url_edit.setText("ftp://")
    dialog.save_button.click()
    assert "not a web address" in dialog.url_error.text()
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_ltik_resolution_shows_course_and_saves_secrets_to_keyring(
    qtbot: QtBot,
    runner: Operations,
    service: RosterService,
    sim: Simulator,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
) -> None:
    chem = sim.course("moodle-chem")
    dialog = make_dialog(qtbot, service, runner)
    dialog.url_edit.setText(sim.base_url)
    dialog.api_key_edit.setText(DEFAULT_API_KEY)
    dialog.ltik_radio.setChecked(True)
    dialog.secret_edit.setText(chem.ltik)
    dialog.check_button.click()
    qtbot.waitUntil(lambda: dialog.check_label.isVisible() and not dialog.busy, timeout=5000)
    text = dialog.check_label.text()
    assert chem.title in text
    assert "roster service available" in text
    assert dialog.name_edit.text() == chem.title  # offered as the name

    dialog.name_edit.setText("Chemistry")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=5000)
    assert dialog.added is not None
    course = service.course("Chemistry")
    assert course.roster_available is True
    assert course.title == chem.title

    stored = set(memory_keyring._items.values())
    assert DEFAULT_API_KEY in stored
    assert chem.ltik in stored
    assert chem.service_key in stored
    database = (tmp_path / "roster.db").read_bytes()
    for secret in (DEFAULT_API_KEY, chem.ltik, chem.service_key):
        assert secret.encode() not in database


def test_roster_not_available_is_shown_before_saving(
    qtbot: QtBot, runner: Operations, service: RosterService, sim: Simulator
) -> None:
    dialog = make_dialog(qtbot, service, runner, base_url=sim.base_url)
    dialog.api_key_edit.setText(DEFAULT_API_KEY)
    dialog.secret_edit.setText(sim.course("no-roster").ltik)
    dialog.check_button.click()
    qtbot.waitUntil(lambda: dialog.check_label.isVisible() and not dialog.busy, timeout=5000)
    assert "NOT available" in dialog.check_label.text()


def test_refused_key_is_an_inline_error(
    qtbot: QtBot, runner: Operations, service: RosterService, sim: Simulator
) -> None:
    dialog = make_dialog(qtbot, service, runner, base_url=sim.base_url)
    dialog.name_edit.setText("Bio")
    dialog.api_key_edit.setText("wrong-api-key")
    dialog.service_key_radio.setChecked(True)
    dialog.secret_edit.setText(sim.course("canvas-bio").service_key)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert dialog.error_label.isVisible()
    assert "refused" in dialog.error_label.text()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert service.courses() == []
    # LTIAAS said which key it refused: the note is next to that field.
    assert "refused this API key" in dialog.api_key_note.text()
    assert not dialog.secret_error.isVisible()

    dialog.api_key_edit.setText(DEFAULT_API_KEY)
    dialog.secret_edit.setText("revoked-service-key")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert "refused this service key" in dialog.secret_error.text()
    assert "refused" not in dialog.api_key_note.text()
    assert service.courses() == []


def test_saved_api_key_is_offered(
    qtbot: QtBot, runner: Operations, service: RosterService, sim: Simulator
) -> None:
    service.add_course(
        "Bio", sim.base_url, DEFAULT_API_KEY, service_key=sim.course("canvas-bio").service_key
    )
    dialog = make_dialog(qtbot, service, runner, base_url=sim.base_url)
    qtbot.waitUntil(lambda: dialog.api_key_edit.text() == DEFAULT_API_KEY, timeout=5000)
    assert "already saved" in dialog.api_key_note.text()


def test_keyring_unavailable_message_is_shown(
    qtbot: QtBot, runner: Operations, service: RosterService, sim: Simulator
) -> None:
    from keyring.backends.fail import Keyring as FailKeyring

    from rostergui.core.secrets import SecretStore

    service.secrets = SecretStore(FailKeyring())
    dialog = make_dialog(qtbot, service, runner, base_url=sim.base_url)
    dialog.name_edit.setText("Bio")
    dialog.api_key_edit.setText(DEFAULT_API_KEY)
    dialog.service_key_radio.setChecked(True)
    dialog.secret_edit.setText(sim.course("canvas-bio").service_key)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and dialog.error_label.isVisible(), timeout=5000)
    assert "keyring" in dialog.error_label.text()


def test_editing_renames_without_secrets_and_refreshes_keys(
    qtbot: QtBot,
    runner: Operations,
    service: RosterService,
    sim: Simulator,
    memory_keyring: MemoryKeyring,
) -> None:
    chem = sim.course("moodle-chem")
    course, _check = service.add_course("Chem", sim.base_url, DEFAULT_API_KEY, ltik=chem.ltik)
    memory_keyring.set_password("RosterSync", f"service_key:{course.uid}", "expired")

    dialog = make_dialog(qtbot, service, runner, existing=["Chem"], editing=course)
    assert dialog.name_edit.text() == "Chem"
    assert dialog.url_edit.text() == sim.base_url
    dialog.name_edit.setText("Chemistry")
    dialog.ltik_radio.setChecked(True)
    dialog.secret_edit.setText(chem.ltik)  # a fresh launch token
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=5000)
    assert dialog.added is not None and dialog.added.name == "Chemistry"
    assert memory_keyring.get_password("RosterSync", f"service_key:{course.uid}") == (
        chem.service_key
    )
    assert service.sync("Chemistry").ok


def test_editing_tests_a_new_token_with_the_saved_api_key(
    qtbot: QtBot, runner: Operations, service: RosterService, sim: Simulator
) -> None:
    chem = sim.course("moodle-chem")
    course, _check = service.add_course("Chem", sim.base_url, DEFAULT_API_KEY, ltik=chem.ltik)
    dialog = make_dialog(qtbot, service, runner, existing=["Chem"], editing=course)
    dialog.check_button.click()  # both fields empty: the saved keys are tested
    qtbot.waitUntil(lambda: dialog.check_label.isVisible() and not dialog.busy, timeout=5000)
    assert chem.title in dialog.check_label.text()
    assert not dialog.secret_error.isVisible()
    course_dialog._set_note(dialog.check_label, None)
    dialog.ltik_radio.setChecked(True)
    dialog.secret_edit.setText(chem.ltik)
    dialog.check_button.click()  # the API key field stays empty: the saved key is used
    qtbot.waitUntil(lambda: dialog.check_label.isVisible() and not dialog.busy, timeout=5000)
    assert chem.title in dialog.check_label.text()


def test_an_empty_address_is_asked_for_and_stale_notes_go_when_a_field_changes(
    qtbot: QtBot, runner: Operations, service: RosterService
) -> None:
    dialog = make_dialog(qtbot, service, runner)
    dialog.url_edit.clear()
    dialog.save_button.click()
    assert "Enter the LTIAAS address" in dialog.url_error.text()
    assert "is not a web address" not in dialog.url_error.text()
    assert dialog.name_error.isVisible() and dialog.secret_error.isVisible()
    qtbot.keyClicks(dialog.url_edit, "https://lti.example.com")
    assert not dialog.url_error.isVisible()  # it described the empty field
    assert dialog.name_error.isVisible()  # the name is still missing
    qtbot.keyClicks(dialog.name_edit, "Bio")
    assert not dialog.name_error.isVisible()


def test_editing_shows_the_kind_of_key_stored(
    qtbot: QtBot, runner: Operations, service: RosterService, sim: Simulator
) -> None:
    bio = sim.course("canvas-bio")
    course, _check = service.add_course(
        "Bio", sim.base_url, DEFAULT_API_KEY, service_key=bio.service_key
    )
    assert course.auth_scheme == "service_key"
    dialog = make_dialog(qtbot, service, runner, existing=["Bio"], editing=course)
    assert dialog.service_key_radio.isChecked() and not dialog.ltik_radio.isChecked()


def test_long_messages_are_not_cut_off(
    qtbot: QtBot, runner: Operations, service: RosterService
) -> None:
    dialog = make_dialog(qtbot, service, runner)
    long = (
        "The API key or service key was refused; check the API key, or give the course a "
        "new launch token (LTIAAS says: Invalid service key.) "
    ) * 2
    course_dialog._set_note(dialog.error_label, long)
    course_dialog._set_note(dialog.url_error, long)
    qtbot.wait(50)
    for label in (dialog.error_label, dialog.url_error):
        assert label.height() >= label.heightForWidth(label.width()), label.accessibleName()


def test_notes_are_announced_to_a_screen_reader(
    qtbot: QtBot, runner: Operations, service: RosterService, sim: Simulator
) -> None:
    """A problem beside a field interrupts the screen reader; a connection result is said
    politely. Without this, a blind admin pressing "Add course" would hear nothing."""
    heard: list[tuple[str, bool]] = []
    announcer = announce.announcer()
    announcer.last = ""

    def hear(text: str, assertive: bool) -> None:
        heard.append((text, assertive))

    announcer.announced.connect(hear)
    try:
        dialog = make_dialog(qtbot, service, runner, existing=["Biology"])
        dialog.save_button.click()
        assert ("Give the course a name.", True) in heard
        assert dialog.name_error.accessibleDescription() == "Give the course a name."
        dialog.url_edit.setText(sim.base_url)
        dialog.api_key_edit.setText(DEFAULT_API_KEY)
        dialog.secret_edit.setText(sim.course("moodle-chem").ltik)
        dialog.check_button.click()
        qtbot.waitUntil(lambda: dialog.check_label.isVisible() and not dialog.busy, timeout=5000)
        polite = [text for text, assertive in heard if not assertive]
        assert any("roster service available" in text for text in polite), heard
    finally:
        announcer.announced.disconnect(hear)


SAVED_KEY_NOTE = "The API key already saved for this address is filled in."


def _text_height(label: QLabel, text: str) -> int:
    """The height ``text`` needs when wrapped at ``label``'s width."""
    return (
        QFontMetrics(label.font())
        .boundingRect(
            QRect(0, 0, label.contentsRect().width(), 100_000), Qt.TextFlag.TextWordWrap, text
        )
        .height()
    )


@pytest.mark.parametrize(
    "text",
    [
        SAVED_KEY_NOTE,
        "LTIAAS refused this API key. " * 8,  # several lines
    ],
)
@pytest.mark.parametrize("points", [0, 20])
def test_a_note_takes_its_text_height_and_a_hidden_one_none(
    qtbot: QtBot, runner: Operations, service: RosterService, text: str, points: int
) -> None:
    """The layout does not jump: a note's row is as tall as its text (not the height the
    text would need in a narrow column), and the dialog grows by just that and shrinks back
    when the note goes; in the usual font and in a large one."""
    dialog = CourseDialog(service, runner)
    qtbot.addWidget(dialog)
    if points:
        font = QFont(dialog.font())
        font.setPointSize(points)
        dialog.setFont(font)
    dialog.show()
    qtbot.waitExposed(dialog)
    before = dialog.height()
    # The space between the API key field and the course key row, without and with the note.
    empty_gap = dialog.ltik_radio.geometry().top() - dialog.api_key_edit.geometry().bottom()
    note = dialog.api_key_note
    course_dialog._set_note(note, text, Tone.NEVER)
    QApplication.processEvents()
    needed = _text_height(note, text)
    assert needed <= note.height() <= needed + 3
    gap = dialog.ltik_radio.geometry().top() - dialog.api_key_edit.geometry().bottom()
    assert gap <= 2 * empty_gap + note.height()
    assert before < dialog.height() <= before + empty_gap + note.height()
    assert dialog.height() == dialog.layout().totalHeightForWidth(dialog.width())

    course_dialog._set_note(note, None)
    QApplication.processEvents()
    assert dialog.height() == before
    assert dialog.ltik_radio.geometry().top() - dialog.api_key_edit.geometry().bottom() == (
        empty_gap
    )
