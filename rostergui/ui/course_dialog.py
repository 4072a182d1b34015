"""Adding or editing a course, and confirming its removal.

The add dialog checks what it can locally (a name, a valid LTIAAS address) and shows each
problem next to its field. "Test connection" asks LTIAAS — in the background — which platform
and course the keys reach and whether the roster service is available, so a course is never
saved blind. Secrets go to the keyring through the service; nothing here stores them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from rostergui.core import errors
from rostergui.core.origin import normalise_base_url
from rostergui.core.service import ConnectionCheck, RosterService
from rostergui.core.states import AuthScheme
from rostergui.core.store.repo import Course
from rostergui.ui import wording
from rostergui.ui.badges import Tone
from rostergui.ui.form_notes import note_label as _note_label
from rostergui.ui.form_notes import secret_field as _secret_field
from rostergui.ui.form_notes import set_note as _set_note
from rostergui.ui.operation import Operations

log = logging.getLogger(__name__)


class CourseDialog(QDialog):
    """Add a course: name, LTIAAS address, API key and a service key or a launch token.

    With ``editing`` it changes an existing course instead: empty key fields keep the saved
    keys, so renaming needs no secrets, and a fresh launch token refreshes expired ones.
    """

    def __init__(
        self,
        service: RosterService,
        runner: Operations,
        *,
        existing: Sequence[str] = (),
        base_url: str = "",
        editing: Course | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.editing = editing
        self.setWindowTitle("Edit course" if editing else "Add a course")
        self.service = service
        self.runner = runner
        own = editing.name.casefold() if editing else None
        self.existing = {n.casefold() for n in existing} - {own}
        self.added: Course | None = None
        self.check: ConnectionCheck | None = None
        self._check_inputs: tuple[str, ...] | None = None
        self._closed = False
        self.busy = False

        self.name_edit = QLineEdit(self)
        self.name_edit.setAccessibleName("Course name")
        self.name_edit.setPlaceholderText("How the course is called in RosterSync")
        self.name_error = _note_label(self)
        self.url_edit = QLineEdit(base_url, self)
        self.url_edit.setAccessibleName("LTIAAS address")
        self.url_edit.setPlaceholderText("https://yourtool.ltiaas.com")
        self.url_error = _note_label(self)
        self.api_key_edit = _secret_field(self, "LTIAAS API key")
        self.api_key_note = _note_label(self)
        self.service_key_radio = QRadioButton("Service key", self)
        self.ltik_radio = QRadioButton("Launch token (ltik)", self)
        self.service_key_radio.setToolTip("The long-lived key LTIAAS gives for a course")
        self.ltik_radio.setToolTip(
            "The token from a launch of the tool in the course (valid 24 h); RosterSync "
            "reads the course and a long-lived service key from it"
        )
        self.ltik_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.service_key_radio)
        group.addButton(self.ltik_radio)
        self.secret_edit = _secret_field(self, "Service key or launch token")
        self.secret_error = _note_label(self)
        self.check_button = QPushButton("Test connection", self)
        self.check_button.setAccessibleName("Test connection")
        self.check_label = _note_label(self)
        self.check_label.setAccessibleName("Connection result")
        self.error_label = _note_label(self)
        self.error_label.setAccessibleName("Error")

        kind = QHBoxLayout()
        kind.addWidget(self.ltik_radio)
        kind.addWidget(self.service_key_radio)
        kind.addStretch(1)
        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("", self.name_error)
        form.addRow("LTIAAS &address:", self.url_edit)
        form.addRow("", self.url_error)
        form.addRow("&API key:", self.api_key_edit)
        form.addRow("", self.api_key_note)
        form.addRow("Course key:", kind)
        form.addRow("&Key or token:", self.secret_edit)
        form.addRow("", self.secret_error)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.check_label, 1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.save_button = self.buttons.addButton(
            "Save" if editing else "Add course", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setDefault(True)
        self.buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self.save)
        self.check_button.clicked.connect(self.test_connection)
        self.url_edit.editingFinished.connect(self.offer_saved_key)
        self.ltik_radio.toggled.connect(self._kind_changed)
        # A note about a field goes when the field changes: it described the old text.
        for field, notes in (
            (self.name_edit, (self.name_error,)),
            (self.url_edit, (self.url_error, self.check_label, self.error_label)),
            (self.api_key_edit, (self.api_key_note, self.check_label, self.error_label)),
            (self.secret_edit, (self.secret_error, self.check_label, self.error_label)),
        ):
            field.textEdited.connect(partial(self._clear_notes, notes))

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(check_row)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        if editing is not None:
            self.name_edit.setText(editing.name)
            self.url_edit.setText(editing.base_url)
            self.api_key_edit.setPlaceholderText("Leave empty to keep the saved key")
            # The kind of course key shown is the kind stored.
            stored_ltik = editing.auth_scheme == AuthScheme.LTIK
            self.ltik_radio.setChecked(stored_ltik)
            self.service_key_radio.setChecked(not stored_ltik)
        self._kind_changed()
        self.resize(560, 0)
        if base_url and editing is None:
            self.offer_saved_key()

    def fit_height(self) -> None:
        """Make the dialog exactly as tall as its shown notes need at this width, growing or
        shrinking: a dialog does not follow its wrapped labels' height by itself, so a long
        message would be cut off and a cleared one would leave a gap."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        needed = (
            layout.totalHeightForWidth(self.width())
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        needed = max(needed, layout.totalMinimumSize().height())
        if needed != self.height():
            self.resize(self.width(), needed)

    # --- inputs -----------------------------------------------------------------------------

    def _clear_notes(self, notes: Sequence[QLabel], _text: str) -> None:
        if self.busy:
            return  # "Asking LTIAAS…" stays until the answer
        for note in notes:
            _set_note(note, None)

    @property
    def uses_ltik(self) -> bool:
        return self.ltik_radio.isChecked()

    def _kind_changed(self) -> None:
        if self.editing is not None:
            self.secret_edit.setPlaceholderText("Leave empty to keep the saved key")
        elif self.uses_ltik:
            self.secret_edit.setPlaceholderText("Paste the ltik from a launch in the course")
        else:
            self.secret_edit.setPlaceholderText("Paste the course's service key")

    def _inputs(self) -> tuple[str, ...]:
        return (
            self.url_edit.text().strip(),
            self.api_key_edit.text().strip(),
            AuthScheme.LTIK if self.uses_ltik else AuthScheme.SERVICE_KEY,
            self.secret_edit.text().strip(),
        )

    def validate(self, *, need_name: bool, need_secrets: bool = True) -> str | None:
        """Check the fields locally; returns the normalised base URL when they are fine."""
        ok = True
        name = self.name_edit.text().strip()
        name_problem = None
        if need_name and not name:
            name_problem = "Give the course a name."
        elif need_name and name.casefold() in self.existing:
            name_problem = f"A course named '{name}' already exists; choose another name."
        _set_note(self.name_error, name_problem)
        ok &= name_problem is None
        base: str | None = None
        try:
            if not self.url_edit.text().strip():
                raise errors.ConfigError(
                    "Enter the LTIAAS address, e.g. https://yourtool.ltiaas.com."
                )
            base = normalise_base_url(self.url_edit.text())
            _set_note(self.url_error, None)
        except errors.ConfigError as exc:
            _set_note(self.url_error, exc.message)
            ok = False
        if need_secrets and not self.api_key_edit.text().strip():
            _set_note(self.api_key_note, "Enter the LTIAAS API key.")
            ok = False
        elif self.api_key_note.isVisible() and "Enter" in self.api_key_note.text():
            _set_note(self.api_key_note, None)
        if need_secrets and not self.secret_edit.text().strip():
            what = "launch token (ltik)" if self.uses_ltik else "service key"
            _set_note(self.secret_error, f"Paste the {what}.")
            ok = False
        else:
            _set_note(self.secret_error, None)
        return base if ok else None

    # --- background actions -------------------------------------------------------------------

    def _run(
        self,
        job: Callable[[], Any],
        done: Callable[[Any], None],
        busy_text: str,
    ) -> None:
        self._set_busy(True)
        _set_note(self.error_label, busy_text, Tone.BUSY)
        for note in (self.api_key_note, self.secret_error):
            if "refused" in note.text():
                _set_note(note, None)  # about the last attempt

        def on_done(value: Any) -> None:
            if self._closed:
                return
            self._set_busy(False)
            _set_note(self.error_label, None)
            done(value)

        def on_error(exc: BaseException) -> None:
            if self._closed:
                return
            self._set_busy(False)
            if isinstance(exc, errors.RosterSyncError):
                self._show_error(exc)
                return
            from rostergui.ui import crash

            _set_note(self.error_label, None)
            crash.report_bug(exc, self)

        self.runner.run(job, on_done, on_error, name="course dialog")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.save_button.setEnabled(not busy)
        self.check_button.setEnabled(not busy)

    def _show_error(self, exc: errors.RosterSyncError) -> None:
        message = exc.message
        if isinstance(exc, errors.ConfigError) and "named" in message:
            _set_note(self.name_error, message)
            _set_note(self.error_label, None)
            return
        if isinstance(exc, errors.ConfigError) and "address" in message.lower():
            _set_note(self.url_error, message)
            _set_note(self.error_label, None)
            return
        _set_note(self.error_label, message)
        # LTIAAS may say which key it refused: mark that field.
        refused = wording.refused_key(message) if exc.kind == "auth" else None
        if refused == "api_key":
            _set_note(self.api_key_note, "LTIAAS refused this API key.")
        elif refused == "service_key":
            _set_note(self.secret_error, "LTIAAS refused this service key.")
        elif refused == "ltik":
            _set_note(self.secret_error, "LTIAAS refused this launch token (it may have expired).")

    def offer_saved_key(self) -> None:
        """Fill in the API key already stored for this LTIAAS host, if any."""
        url = self.url_edit.text().strip()
        if not url or self.api_key_edit.text():
            return
        service = self.service

        def done(key: str | None) -> None:
            if key and not self.api_key_edit.text() and self.url_edit.text().strip() == url:
                self.api_key_edit.setText(key)
                _set_note(
                    self.api_key_note,
                    "The API key already saved for this address is filled in.",
                    Tone.NEVER,
                )

        def failed(_exc: BaseException) -> None:
            pass  # the keyring is reported properly when saving

        self.runner.run(
            lambda: service.saved_api_key(url),
            lambda key: None if self._closed else done(key),
            failed,
            name="saved key",
        )

    def test_connection(self) -> None:
        editing = self.editing is not None
        base = self.validate(need_name=False, need_secrets=not editing)
        if base is None:
            return
        inputs = self._inputs()
        _url, api_key, kind, secret = inputs
        service = self.service
        uid = self.editing.uid if self.editing is not None else None
        _set_note(self.check_label, None)

        def job() -> ConnectionCheck:
            # When editing, an empty field means the key already saved.
            key = api_key or service.saved_api_key(base) or ""
            if not secret and uid is not None:
                saved = service.secrets.get_course_secret(uid, AuthScheme.SERVICE_KEY)
                if saved:
                    return service.check_connection(base, key, service_key=saved)
                saved_ltik = service.secrets.get_course_secret(uid, AuthScheme.LTIK) or ""
                return service.check_connection(base, key, ltik=saved_ltik)
            if kind == AuthScheme.LTIK:
                return service.check_connection(base, key, ltik=secret)
            return service.check_connection(base, key, service_key=secret)

        self._run(job, lambda check: self._checked(inputs, check), "Asking LTIAAS…")

    def _checked(self, inputs: tuple[str, ...], check: ConnectionCheck) -> None:
        self.check = check
        self._check_inputs = inputs
        where = check.platform_name or check.platform_id
        title = check.title or check.context_id or "the course"
        if check.roster_available is False:
            _set_note(
                self.check_label,
                f"Reached {title} on {where}, but its roster service (Names and Roles) is NOT "
                "available: enable it in the LMS's tool settings. You can still add the course.",
                Tone.HELD,
            )
        else:
            roster = (
                "roster service available"
                if check.roster_available
                else "keys accepted (roster availability unknown)"
            )
            _set_note(self.check_label, f"✓ {title} on {where} — {roster}", Tone.FRESH)
        if not self.name_edit.text().strip() and check.title:
            self.name_edit.setText(check.title)

    def save(self) -> None:
        if self.editing is not None:
            self._save_edit()
            return
        base = self.validate(need_name=True)
        if base is None:
            return
        inputs = self._inputs()
        _url, api_key, kind, secret = inputs
        name = self.name_edit.text().strip()
        check = self.check if self._check_inputs == inputs else None
        service = self.service

        def job() -> Course:
            course, _check = service.add_course(
                name,
                base,
                api_key,
                service_key=secret if kind == AuthScheme.SERVICE_KEY else None,
                ltik=secret if kind == AuthScheme.LTIK else None,
                check=check,
            )
            return course

        self._run(job, self._saved, "Checking the keys with LTIAAS and saving…")

    def _save_edit(self) -> None:
        editing = self.editing
        assert editing is not None
        base = self.validate(need_name=True, need_secrets=False)
        if base is None:
            return
        _url, api_key, kind, secret = self._inputs()
        name = self.name_edit.text().strip()
        service = self.service

        def job() -> Course:
            course, _check = service.update_course(
                editing.name,
                new_name=name,
                base_url=base,
                api_key=api_key or None,
                service_key=secret if secret and kind == AuthScheme.SERVICE_KEY else None,
                ltik=secret if secret and kind == AuthScheme.LTIK else None,
            )
            return course

        self._run(job, self._saved, "Saving…")

    def _saved(self, course: Course) -> None:
        self.added = course
        self.accept()

    def done(self, result: int) -> None:
        self._closed = True
        super().done(result)


def confirm_remove(
    parent: QWidget | None, course: Course, answer: Callable[[bool, bool], None]
) -> QMessageBox:
    """Ask before removing a course, window-modal; ``answer(remove, keep_roster)`` runs when the
    box closes. Tests replace this."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Remove course")
    box.setText(f"Remove “{course.name}” from RosterSync?")
    box.setInformativeText(
        "Its keys are deleted from the keyring and it will no longer sync. Nothing changes in "
        "the LMS."
    )
    keep = QCheckBox("Keep its roster for reference", box)
    keep.setChecked(True)
    box.setCheckBox(keep)
    remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.finished.connect(lambda _code: answer(box.clickedButton() is remove, keep.isChecked()))
    box.open()
    return box
