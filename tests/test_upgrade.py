"""Upgrading a database made by the first released schema keeps every row and all history."""

from __future__ import annotations

import socket

from alembic import command
from sqlalchemy import create_engine, func, select, text

from rostergui.core.states import Outcome
from rostergui.core.store import db as store_db
from rostergui.core.store.db import head_revision, open_database
from rostergui.core.store.history import mark_interrupted_runs
from rostergui.core.store.leases import LeaseTimes, claim
from rostergui.core.store.schema import metadata

FIRST_RELEASE = "0001"
#: Tables the first release did not have: empty after the upgrade.
NEWER_TABLES = {"sync_leases"}

# Rows as version 0.1.0 wrote them, in that schema's own terms (not today's metadata).
FIRST_RELEASE_ROWS = [
    """INSERT INTO contexts (id, uid, name, base_url, platform_id, context_id, title, label,
       resource_link_id, auth_scheme, roster_available, created_at, last_synced_at, last_status,
       last_error, archived_at)
       VALUES (1, 'u-1', 'Biology', 'https://tool.ltiaas.example', 'https://canvas.example',
       'ctx1', 'Biology 101', 'BIO', NULL, 'service_key', TRUE, '2026-01-05 10:00:00',
       '2026-02-01 09:00:00', 'ok', NULL, NULL)""",
    """INSERT INTO people (id, platform_id, user_id, name, given_name, family_name, email)
       VALUES (1, 'https://canvas.example', '42', 'Zoë Ångström', 'Zoë', 'Ångström', 'z@x.edu'),
              (2, 'https://canvas.example', '43', '王小明', NULL, NULL, NULL)""",
    """INSERT INTO memberships (context_pk, person_id, lti_roles, role, test_user, lms_status,
       status, present, first_seen_at, last_seen_at, deactivated_at)
       VALUES (1, 1, 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner', 'Learner',
               FALSE, 'Active', 'active', TRUE, '2026-01-05 10:00:00', '2026-02-01 09:00:00',
               NULL),
              (1, 2, 'Learner', 'Learner', FALSE, 'Active', 'inactive', FALSE,
               '2026-01-05 10:00:00', '2026-01-20 09:00:00', '2026-02-01 09:00:00')""",
    """INSERT INTO sync_runs (id, context_pk, started_at, finished_at, outcome, trigger, holder,
       pages, fetched, added, updated, deactivated, reactivated, active_count, error)
       VALUES (1, 1, '2026-01-05 10:00:00', '2026-01-05 10:00:05', 'ok', 'manual', 'h:1',
               1, 2, 2, 0, 0, 0, 2, NULL),
              (2, 1, '2026-02-01 09:00:00', '2026-02-01 09:00:03', 'ok', 'command', 'h:2',
               1, 1, 0, 0, 1, 0, 1, NULL)""",
    """INSERT INTO sync_changes (id, run_id, person_id, change, old_role, new_role)
       VALUES (1, 1, 1, 'added', NULL, 'Learner'), (2, 1, 2, 'added', NULL, 'Learner'),
              (3, 2, 2, 'deactivated', 'Learner', NULL)""",
    """INSERT INTO role_rules (lti_role, tool_role) VALUES ('Instructor#Grader', 'Instructor')""",
]


def test_upgrade_from_the_first_release_loses_nothing(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        cfg = store_db._alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, FIRST_RELEASE)
        for statement in FIRST_RELEASE_ROWS:
            conn.execute(text(statement))
    with engine.connect() as conn:
        before = {
            t.name: conn.execute(text(f"SELECT * FROM {t.name}")).all()
            for t in metadata.sorted_tables
            if t.name not in NEWER_TABLES
        }
    engine.dispose()

    upgraded = open_database(db_url)  # what every start of the app does
    with upgraded.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == head_revision()
        for table in metadata.sorted_tables:
            count = conn.execute(select(func.count()).select_from(table)).scalar()
            assert count == len(before.get(table.name, [])), table.name
        names = conn.execute(text("SELECT name FROM people ORDER BY id")).scalars().all()
        assert names == ["Zoë Ångström", "王小明"]
        history = conn.execute(text("SELECT outcome FROM sync_runs ORDER BY id")).scalars()
        assert list(history) == ["ok", "ok"]
    upgraded.dispose()


def test_a_run_left_running_before_leases_is_interrupted_and_its_course_syncs(
    db_url: str,
) -> None:
    """A run an older version left ``running`` has no lease: the first start after the
    upgrade closes it as interrupted when its process is gone, and the course can be claimed
    at once."""
    engine = create_engine(db_url)
    with engine.begin() as conn:
        cfg = store_db._alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.execute(text(FIRST_RELEASE_ROWS[0]))
        conn.execute(
            text(
                "INSERT INTO sync_runs (id, context_pk, started_at, outcome, trigger, holder, "
                "pages, fetched, added, updated, deactivated, reactivated) VALUES (7, 1, "
                "'2026-02-02 09:00:00', 'running', 'command', :holder, 0, 0, 0, 0, 0, 0)"
            ),
            {"holder": f"{socket.gethostname()}:999999999"},  # that process is gone
        )
    engine.dispose()

    upgraded = open_database(db_url)
    with upgraded.begin() as conn:
        assert mark_interrupted_runs(conn) == 1
        outcome = conn.execute(text("SELECT outcome FROM sync_runs WHERE id = 7")).scalar()
        assert outcome == Outcome.FAILED
    lease = claim(upgraded, 1, times=LeaseTimes(), start_run=lambda _conn: None)
    assert lease.token
    upgraded.dispose()
