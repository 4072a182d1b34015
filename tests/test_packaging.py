"""The installable package carries what the app needs at run time, and the desktop entry."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_holds_migrations_icons_and_the_desktop_entry(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("rostergui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = next(n.split("/")[0] for n in names if ".data/" in n)
    assert f"{data}/data/share/applications/rostersync.desktop" in names
    assert f"{data}/data/share/icons/hicolor/scalable/apps/rostersync.svg" in names
    assert "rostergui/core/store/migrations/env.py" in names
    assert any(n.startswith("rostergui/core/store/migrations/versions/0001") for n in names)
    assert "rostergui/ui/icons/sync.svg" in names


def test_desktop_entry_is_valid() -> None:
    entry = (ROOT / "resources" / "rostersync.desktop").read_text(encoding="utf-8")
    fields = dict(
        line.split("=", 1)
        for line in entry.splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert entry.startswith("[Desktop Entry]")
    assert fields["Type"] == "Application"
    assert fields["Exec"].split()[0] == "rostersync"  # the gui-script the package installs
    assert fields["Icon"] == "rostersync"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'rostersync = "rostergui.cli:main"' in pyproject
