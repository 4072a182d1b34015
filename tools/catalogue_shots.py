"""The catalogue's documentation screenshots, for ``tools/screenshots.py``: the grouped course
list with its filter, Find person, and the import preview.

They run on a demo of their own with a small catalogue (:mod:`rostergui.demo_catalogue`),
synced, with a few courses aged or failed so that the list shows every group and the header
counts them. A few hundred courses rather than 2,000: syncing 2,000 takes minutes, and a
screenshot shows one screenful either way.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from rostergui.core.filtering import fold
from rostergui.core.store import repo
from rostergui.demo import start_demo
from rostergui.demo_catalogue import catalogue_courses, course_name
from rostergui.simulator import DEFAULT_API_KEY
from rostergui.simulator.members import LEARNER, Member
from rostergui.ui.import_dialog import ImportDialog
from rostergui.ui.main_window import MainWindow
from rostergui.ui.settings import Settings

SCENES = ("catalogue", "find-person", "import-preview")
#: Catalogue courses in the screenshots' demo.
COURSES = 240


def run(
    wanted: set[str],
    output: Path,
    size: tuple[int, int],
    wait_until: Callable[..., None],
    spin: Callable[[float], None],
    save: Callable[[QWidget, Path, str], None],
) -> None:
    """Render the wanted catalogue scenes into ``output``."""
    if not wanted & set(SCENES):
        return
    demo = start_demo(None, catalogue=COURSES)
    try:
        demo.sync_catalogue()
        service = demo.service
        # Age a few City College courses (as the main scenes do) so that "stale" has members.
        now = repo.utcnow()
        college = [c for c in catalogue_courses(count=COURSES) if "moodle" in c.platform_id]
        with service.engine.begin() as conn:
            for n, sim in enumerate(college[4:60:9]):
                course = repo.get_course(conn, course_name(sim))
                repo.update_course(conn, course.id, last_synced_at=now - timedelta(days=2 + n))
        window = MainWindow(service, Settings(), title_note="demo (simulated LTIAAS)")
        window.resize(*size)
        window.show()
        wait_until(lambda: window.course_model.loaded)
        spin(0.3)
        if "catalogue" in wanted:
            # City College's courses, by the LMS's host: failed ones first, then stale ones.
            window.splitter.setSizes([400, size[0] - 400])
            panel = window.course_panel
            panel.filter_box.setText("moodle")
            window.select_course(window.course_model.visible_names()[0])
            wait_until(lambda: not window.member_panel.loading)
            spin(0.3)
            save(window, output, "catalogue")
            panel.filter_box.clear()
        if "find-person" in wanted:
            scene_find_person(window, wait_until, spin, save, output)
        if "import-preview" in wanted:
            scene_import_preview(window, demo.simulator.base_url, wait_until, spin, save, output)
        window.close()
    finally:
        demo.close()


def scene_find_person(
    window: MainWindow,
    wait_until: Callable[..., None],
    spin: Callable[[float], None],
    save: Callable[[QWidget, Path, str], None],
    output: Path,
) -> None:
    window.dialogs.find_person()
    found = window.dialogs.find_person_window
    assert found is not None
    wait_until(lambda: found.index is not None)
    # The student in the most courses, searched by name without its accents.
    taken: Counter[tuple[str, str]] = Counter()
    names: dict[tuple[str, str], str] = {}
    for sim in catalogue_courses(count=COURSES):
        for member in sim.roster.members():
            if isinstance(member, Member) and member.name and LEARNER in member.roles:
                key = (sim.platform_id, member.user_id)
                taken[key] += 1
                names[key] = member.name
    text = fold(names[taken.most_common(1)[0][0]])
    found.search_box.setText(text)
    wait_until(lambda: found._shown_text == text and not found._searching)
    found.table.selectRow(0)
    spin(0.3)
    save(found, output, "find-person")
    found.close()


def scene_import_preview(
    window: MainWindow,
    base_url: str,
    wait_until: Callable[..., None],
    spin: Callable[[float], None],
    save: Callable[[QWidget, Path, str], None],
    output: Path,
) -> None:
    """A file as an admin would bring it: good rows, one already stored, a few to fix."""
    stored = window.course_model.courses[0].name
    lines = [
        "name;base_url;service_key",
        f"Organic Chemistry II;{base_url};svc-orgchem-7f3k2m9q",
        f"Marine Biology;{base_url};svc-marbio-2h8d5n1x",
        f"Medieval History;{base_url};svc-medhist-9a4c6v0z",
        f"{stored};{base_url};svc-stored-5t7y3u8i",
        "Statistics 101;http://stats.example.edu;svc-stats-1q2w3e4r",
        f"Jazz Ensemble;{base_url}; svc-jazz-6y7u8i9o",
        f"Marine Biology;{base_url};svc-marbio2-3e4r5t6y",
        f"Urban Planning;{base_url};svc-urban-0p9o8i7u",
    ]
    with tempfile.TemporaryDirectory(prefix="rostersync-shots-import-") as directory:
        path = Path(directory) / "spring-catalogue.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        window.dialogs.import_courses()
        dialog = window.findChild(ImportDialog)
        assert isinstance(dialog, ImportDialog)
        dialog.read_file(str(path))
        wait_until(lambda: dialog.model.rowCount() == len(lines) - 1)
        # Leave one ready row out, as an admin unticking it.
        from PySide6.QtCore import Qt

        last = dialog.model.index(dialog.model.rowCount() - 1, 0)
        dialog.model.setData(last, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
        assert DEFAULT_API_KEY  # the simulator's key is saved: no key field is asked
        spin(0.3)
        save(dialog, output, "import-preview")
        dialog.reject()
        QApplication.processEvents()
