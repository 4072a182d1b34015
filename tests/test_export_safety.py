"""Export never replaces what it should not: devices, pipes, links, existing files, and a
full disk; and no cell runs as a formula in a spreadsheet."""

from __future__ import annotations

import csv
import errno
import glob
import io
import os
import socket
import stat
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from rostergui.cli import run
from rostergui.core import errors, export
from rostergui.core.export import ExportExistsError, ExportTargetError, write_csv
from rostergui.core.secrets import MemoryKeyring
from rostergui.core.store.repo import MemberRow
from rostergui.simulator import DEFAULT_API_KEY, Simulator

WHEN = datetime(2026, 11, 26, 9, 30, 0)


def member(uid: str, name: str | None = "Ann", email: str | None = None, **names: str) -> MemberRow:
    return MemberRow(
        uid,
        name,
        names.get("given"),
        names.get("family"),
        email,
        "Learner",
        ("Learner",),
        "active",
        False,
        WHEN,
        WHEN,
        None,
    )


ROWS = [member("1", "Ann"), member("2", "Bob")]


def read_back(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def leftovers(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.startswith(".rostersync-")]


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def no_renames_into_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    """A safety net: whatever the export does, nothing is ever renamed or linked over a node
    in /dev (the tests run as root in some containers, where that would succeed)."""
    for name in ("replace", "rename", "link"):
        real = getattr(os, name)

        def guarded(src: Any, dst: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            if os.path.realpath(dst).startswith("/dev/"):
                raise AssertionError(f"tried to move a file over {dst}")
            return _real(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, name, guarded)


# --- what is not a regular file --------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="POSIX device nodes")
@pytest.mark.usefixtures("no_renames_into_dev")
@pytest.mark.parametrize("overwrite", [True, False])
def test_dev_null_is_refused_and_stays_a_device(overwrite: bool) -> None:
    with pytest.raises(ExportTargetError, match="is a device, not a regular file") as caught:
        write_csv(ROWS, "/dev/null", overwrite=overwrite)
    assert isinstance(caught.value, errors.ConfigError)
    assert "\n" not in caught.value.message
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not glob.glob("/dev/.rostersync-*")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX named pipes")
def test_fifo_is_refused_and_stays_a_fifo(tmp_path: Path) -> None:
    pipe = tmp_path / "roster.csv"
    os.mkfifo(pipe)
    with pytest.raises(ExportTargetError, match="named pipe, not a regular file"):
        write_csv(ROWS, pipe, overwrite=True)
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="Unix sockets")
def test_socket_is_refused(tmp_path: Path) -> None:
    path = Path(tempfile.mkdtemp(dir="/tmp")) / "s"  # short: socket paths have a size limit
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(ExportTargetError, match="socket"):
            write_csv(ROWS, path, overwrite=True)
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    path.unlink()
    path.parent.rmdir()


def test_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportTargetError, match="is a folder"):
        write_csv(ROWS, tmp_path, overwrite=True)


# --- symbolic links -------------------------------------------------------------------------


def test_writing_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "archive"
    elsewhere.mkdir()
    real = elsewhere / "roster.csv"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(Path("archive") / "roster.csv")  # relative, as admins often make them

    assert write_csv(ROWS, link, overwrite=True) == 2

    assert link.is_symlink()
    assert os.readlink(link) == os.path.join("archive", "roster.csv")
    assert [r[1] for r in read_back(real)[1:]] == ["Ann", "Bob"]
    assert leftovers(tmp_path) == [] and leftovers(elsewhere) == []


def test_symlink_to_an_existing_file_needs_overwrite(tmp_path: Path) -> None:
    real = tmp_path / "roster.csv"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    with pytest.raises(ExportExistsError):
        write_csv(ROWS, link, overwrite=False)
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "old\n"


def test_dangling_symlink_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "latest.csv"
    link.symlink_to(tmp_path / "gone" / "roster.csv")
    with pytest.raises(ExportTargetError, match="which does not exist"):
        write_csv(ROWS, link, overwrite=True)
    assert link.is_symlink()
    assert not (tmp_path / "gone").exists()


# --- existing files and permissions ----------------------------------------------------------


@pytest.mark.usefixtures("umask_022")
def test_new_export_is_user_only(tmp_path: Path) -> None:
    target = tmp_path / "roster.csv"
    write_csv(ROWS, target, overwrite=False)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600])
def test_replacing_keeps_the_permission_bits(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "roster.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(mode)
    write_csv(ROWS, target, overwrite=True)
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert read_back(target)[1][1] == "Ann"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_root_replacing_a_users_file_keeps_its_owner(tmp_path: Path) -> None:
    target = tmp_path / "roster.csv"
    target.write_text("old\n", encoding="utf-8")
    os.chown(target, 12345, 12346)
    target.chmod(0o640)
    write_csv(ROWS, target, overwrite=True)
    info = target.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (12345, 12346, 0o640)


def test_without_overwrite_an_existing_file_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "roster.csv"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(ExportExistsError, match="already exists"):
        write_csv(ROWS, target, overwrite=False)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert leftovers(tmp_path) == []


def test_a_file_appearing_during_the_export_is_not_replaced(tmp_path: Path) -> None:
    """Without overwrite, the existence check and the move are one step (no race)."""
    target = tmp_path / "roster.csv"

    def rows() -> Iterator[MemberRow]:
        yield ROWS[0]
        target.write_text("someone else's\n", encoding="utf-8")
        yield ROWS[1]

    with pytest.raises(ExportExistsError):
        write_csv(rows(), target, overwrite=False)
    assert target.read_text(encoding="utf-8") == "someone else's\n"
    assert leftovers(tmp_path) == []


def test_written_to_disk_beside_the_target_then_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "roster.csv"
    target.write_text("old\n", encoding="utf-8")
    synced: list[int] = []
    moved: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        assert synced, "renamed before the data reached the disk"
        moved.append((os.fspath(src), os.fspath(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_csv(ROWS, target, overwrite=True)
    [(src, dst)] = moved
    assert Path(src).parent == tmp_path and Path(dst) == target


# --- full disk, read-only folder -------------------------------------------------------------


class _DiskFillsUp:
    """Stands in for the csv module: the third row's write fails with ENOSPC."""

    QUOTE_MINIMAL = csv.QUOTE_MINIMAL

    @staticmethod
    def writer(stream: Any, **options: Any) -> Any:
        real = csv.writer(stream, **options)
        written = 0

        class Writer:
            def writerow(self, row: Any) -> Any:
                nonlocal written
                written += 1
                if written == 3:
                    raise OSError(errno.ENOSPC, "No space left on device")
                return real.writerow(row)

        return Writer()


def test_full_disk_while_writing_keeps_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "roster.csv"
    target.write_text("original\n", encoding="utf-8")
    monkeypatch.setattr(export, "csv", _DiskFillsUp)
    with pytest.raises(errors.DiskFullError, match="disk is full") as caught:
        write_csv(ROWS * 3, target, overwrite=True)
    assert "left as it was" in caught.value.message and "\n" not in caught.value.message
    assert target.read_text(encoding="utf-8") == "original\n"
    assert os.listdir(tmp_path) == ["roster.csv"]


def test_full_disk_on_flush_keeps_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "roster.csv"
    target.write_text("original\n", encoding="utf-8")

    def fsync(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(errors.DiskFullError):
        write_csv(ROWS, target, overwrite=True)
    assert target.read_text(encoding="utf-8") == "original\n"
    assert os.listdir(tmp_path) == ["roster.csv"]


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        (OSError(errno.EROFS, "Read-only file system"), errors.StorageError, "is read-only"),
        (PermissionError(errno.EACCES, "Permission denied"), errors.ConfigError, "permission"),
    ],
)
def test_read_only_folder_is_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: OSError,
    kind: type[errors.RosterSyncError],
    words: str,
) -> None:
    # Simulated: the tests may run as root, whom permissions do not stop.
    target = tmp_path / "roster.csv"
    target.write_text("original\n", encoding="utf-8")

    def mkstemp(**_kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    with pytest.raises(kind, match=words) as caught:
        write_csv(ROWS, target, overwrite=True)
    assert "\n" not in caught.value.message
    assert target.read_text(encoding="utf-8") == "original\n"


# --- formulas -------------------------------------------------------------------------------


def test_formula_cells_are_neutralised_in_every_text_column(tmp_path: Path) -> None:
    starts = ["=", "+", "-", "@", "\t", "\r"]
    rows = [
        member(
            f"{i}",
            f"{c}cmd|' /C calc'!A0",
            f"{c}x@example.edu",
            given=f"{c}SUM(1+1)",
            family=f'{c}HYPERLINK("http://evil")',
        )
        for i, c in enumerate(starts)
    ]
    rows.append(member("@7", "Zoë = 1", "zoe@example.edu", given="a-b", family="O'Neil"))
    target = tmp_path / "roster.csv"
    write_csv(rows, target)
    data = read_back(target)[1:]
    for line, c in zip(data, starts, strict=False):
        for column in (1, 2, 3, 4):  # name, given_name, family_name, email
            assert line[column].startswith("'" + c), (c, line[column])
    assert data[-1][:5] == ["'@7", "Zoë = 1", "a-b", "O'Neil", "zoe@example.edu"]


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def cli(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    session_sim: Simulator,
) -> Any:
    """``rostergui --data-dir …`` on SQLite, with the simulator's Biology course synced."""
    monkeypatch.delenv("ROSTERGUI_DB_URL", raising=False)
    for key in ("ROSTERGUI_SERVICE_KEY", "ROSTERGUI_LTIK"):
        monkeypatch.delenv(key, raising=False)
    data = tmp_path / "data"

    def call(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = run(["--data-dir", str(data), *argv], out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    course = session_sim.course("canvas-bio")
    monkeypatch.setenv("ROSTERGUI_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("ROSTERGUI_SERVICE_KEY", course.service_key)
    code, _, err = call("contexts", "add", "--name", "Bio", "--base-url", session_sim.base_url)
    assert code == 0, err
    code, _, err = call("sync", "Bio")
    assert code == 0, err
    return call


def test_cli_refuses_an_existing_file_without_force(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "bio.csv"
    target.write_text("keep me\n", encoding="utf-8")
    code, out, err = cli("export", "Bio", "-o", str(target))
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and "already exists" in err and "--force" in err
    assert target.read_text(encoding="utf-8") == "keep me\n"

    code, out, err = cli("export", "Bio", "-o", str(target), "--force")
    assert code == 0, err
    assert "Exported" in out
    assert read_back(target)[0] == list(export.COLUMNS)


def test_cli_writes_a_new_file_without_force(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "bio.csv"
    code, _, err = cli("export", "Bio", "--output", str(target))
    assert code == 0, err
    assert len(read_back(target)) > 1


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="POSIX device nodes")
@pytest.mark.usefixtures("no_renames_into_dev")
def test_cli_refuses_dev_null_even_with_force(cli: Any) -> None:
    code, _, err = cli("export", "Bio", "-o", "/dev/null", "--force")
    assert code == 1
    assert err.count("\n") == 1 and "not a regular file" in err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_cli_force_through_a_symlink_keeps_the_link(cli: Any, tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    code, _, err = cli("export", "Bio", "-o", str(link), "--force")
    assert code == 0, err
    assert link.is_symlink()
    assert len(read_back(real)) > 1


# --- the window's dialog --------------------------------------------------------------------


@pytest.mark.gui
def test_file_browser_confirms_before_replacing(qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QFileDialog

    from rostergui.ui.export_dialog import ExportDialog

    dialog = ExportDialog("Bio", 3, 5, folder=tmp_path)
    qtbot.addWidget(dialog)
    browser = dialog.file_dialog()
    assert browser.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    assert not browser.testOption(QFileDialog.Option.DontConfirmOverwrite)
    browser.deleteLater()


@pytest.mark.gui
@pytest.mark.parametrize("answer", [True, False])
def test_dialog_asks_before_replacing_a_typed_path(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: bool
) -> None:
    from PySide6.QtWidgets import QDialog

    from rostergui.ui import export_dialog

    asked: list[Path] = []

    def confirm(_parent: Any, path: Path, reply: Callable[[bool], None]) -> None:
        asked.append(path)
        reply(answer)

    monkeypatch.setattr(export_dialog, "confirm_replace", confirm)
    existing = tmp_path / "bio.csv"
    existing.write_text("old\n", encoding="utf-8")
    dialog = export_dialog.ExportDialog("Bio", 3, 5, folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(existing))
    dialog.accept()
    assert asked == [existing]
    assert (dialog.result() == QDialog.DialogCode.Accepted) is answer

    asked.clear()
    dialog.path_edit.setText(str(tmp_path / "new.csv"))
    dialog.accept()
    assert asked == []
    assert dialog.result() == QDialog.DialogCode.Accepted


@pytest.mark.gui
def test_dialog_does_not_ask_twice_for_a_file_the_browser_confirmed(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QDialog, QFileDialog

    from rostergui.ui import export_dialog

    existing = tmp_path / "bio.csv"
    existing.write_text("old\n", encoding="utf-8")

    def refuse(_parent: Any, _path: Path, _reply: Callable[[bool], None]) -> None:
        raise AssertionError("asked again")

    monkeypatch.setattr(export_dialog, "confirm_replace", refuse)
    dialog = export_dialog.ExportDialog("Bio", 3, 5, folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog._browse()  # opens without waiting: nothing nests an event loop
    browser = dialog.findChild(QFileDialog)
    assert browser is not None and browser.isVisible()
    browser.fileSelected.emit(str(existing))  # what the browser sends once its question passed
    browser.reject()
    assert dialog.path_edit.text() == str(existing)
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
