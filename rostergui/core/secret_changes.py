"""Secrets changed together with database rows, in an order that never strands either.

* Adding or editing a course writes its secrets inside the database transaction; if the keyring
  fails the row is not saved, and if the transaction fails after the secrets were written they
  are put back as they were (:class:`SecretChanges`).
* Removing a course (or a key no course uses any more) deletes secrets only after the database
  change is committed (:func:`delete_after_commit`); a secret that cannot be deleted then is
  logged and reported with where it is, since the course itself is gone.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from rostergui.core import errors
from rostergui.core.redact import remember
from rostergui.core.secrets import SERVICE_NAME, SecretStore
from rostergui.core.states import AuthScheme

# Logged under the service's name: each line reports what a service call did.
log = logging.getLogger("rostergui.core.service")


def remember_all(*secrets: str | None) -> None:
    """Register secrets for redaction as they enter (stripped as they will be used, too)."""
    for secret in secrets:
        if secret:
            remember(secret)
            remember(secret.strip())


class SecretChanges:
    """Secrets written inside a database transaction, with what they replaced, so that they
    can be put back as they were when the transaction fails after all."""

    def __init__(self, store: SecretStore) -> None:
        self.store = store
        self._undo: list[tuple[str, Callable[[], None]]] = []

    def set_api_key(self, base_url: str, value: str) -> None:
        store = self.store
        previous = store.get_api_key(base_url)
        if previous == value:
            return
        account = store.api_key_account(base_url)
        store.set_api_key(base_url, value)
        if previous:
            self._undo.append((account, lambda: store.set_api_key(base_url, previous)))
        else:
            self._undo.append((account, lambda: store.delete_api_key(base_url)))

    def set_course_secret(self, uid: str, kind: str, value: str) -> None:
        store = self.store
        previous = store.get_course_secret(uid, kind)
        if previous == value:
            return
        account = store.course_account(uid, kind)
        store.set_course_secret(uid, kind, value)
        if previous:
            self._undo.append((account, lambda: store.set_course_secret(uid, kind, previous)))
        else:
            self._undo.append((account, lambda: store.delete_course_secret(uid, kind)))

    def set_keys(
        self, base_url: str, api_key: str, uid: str, *, service_key: str | None, ltik: str | None
    ) -> None:
        """A course's keys: its LTIAAS host's API key, and its service key and launch token
        when given (each stripped)."""
        self.set_api_key(base_url, api_key.strip())
        if service_key:
            self.set_course_secret(uid, AuthScheme.SERVICE_KEY, service_key.strip())
        if ltik:
            self.set_course_secret(uid, AuthScheme.LTIK, ltik.strip())

    def set_new_course_keys(self, uid: str, *, service_key: str | None, ltik: str | None) -> None:
        """The keys of a course just created, whose ``uid`` no keyring entry can hold yet: no
        entry is read first (a bulk import saves thousands), and undoing deletes them."""
        store = self.store
        for kind, value in ((AuthScheme.SERVICE_KEY, service_key), (AuthScheme.LTIK, ltik)):
            if not value:
                continue
            store.set_course_secret(uid, kind, value.strip())
            undo = functools.partial(store.delete_course_secret, uid, kind)
            self._undo.append((store.course_account(uid, kind), undo))

    def undo(self) -> None:
        """Put every changed secret back (newest first); failures are logged, not raised, so
        the error that made the save fail is the one the user sees."""
        for account, action in reversed(self._undo):
            try:
                action()
            except errors.RosterSyncError as exc:
                log.error(
                    "Could not restore keyring entry %s of %s after a failed save: %s",
                    account,
                    SERVICE_NAME,
                    exc.message,
                )
        self._undo.clear()


def delete_after_commit(done: str, deletions: list[tuple[str, Callable[[], None]]]) -> None:
    """Delete secrets whose database rows are already gone. One that cannot be deleted is
    logged, and then reported in one :class:`SecretsError` that says what was done, which
    keyring entries may remain and how to remove them."""
    left: list[str] = []
    for account, delete in deletions:
        try:
            delete()
        except errors.RosterSyncError as exc:
            log.error(
                "%s, but could not delete keyring entry %s of %s: %s",
                done,
                account,
                SERVICE_NAME,
                exc.message,
            )
            left.append(account)
    if left:
        entries = ", ".join(f"'{account}'" for account in left)
        raise errors.SecretsError(
            f"{done}, but the keyring failed while deleting its keys (see the log), so they may "
            f"still be there: once the keyring works, delete the entries {entries} of "
            f"'{SERVICE_NAME}' with your keyring manager (such as Seahorse, KWalletManager, "
            "Keychain Access or Credential Manager)"
        )
