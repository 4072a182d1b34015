"""Queries on the roster database, under one name: courses, members, history and role rules.

Everything that reads or writes tables outside the sync engine's apply step lives in the
store's modules, so the command line and the window ask the same questions the same way:

* :mod:`.rows` — the rows handed out (``Course``, ``MemberRow``, ``SyncRun``, ``Change``);
* :mod:`.courses` — courses, and the checks on their fields;
* :mod:`.members` — a course's stored roster, filtered and searched;
* :mod:`.history` — sync runs, their changes, and runs a stopped process left running;
* :mod:`.role_rules` — the administrator's role mapping.

This module gathers them so callers can keep writing ``repo.get_course(…)``. Functions take a
``Connection``; the caller owns the transaction.
"""

from __future__ import annotations

from rostergui.core.store.courses import (
    CONTROL_CHARACTERS,
    add_course,
    check_course_free,
    check_course_name,
    check_name_free,
    course_holder,
    courses_on,
    duplicate_courses,
    duplicate_message,
    find_course,
    fits,
    get_course,
    get_course_by_id,
    list_courses,
    remove_course,
    update_course,
)
from rostergui.core.store.history import (
    STALE_RUN_AFTER,
    list_runs,
    mark_interrupted_runs,
    process_handle,
    run_changes,
)
from rostergui.core.store.members import load_members, member_haystack
from rostergui.core.store.role_rules import (
    load_role_mapping,
    remap_roles,
    reset_role_rules,
    set_role_rule,
)
from rostergui.core.store.rows import (
    Change,
    Course,
    MemberRow,
    SyncRun,
    join_roles,
    split_roles,
    utcnow,
)

__all__ = [
    "CONTROL_CHARACTERS",
    "STALE_RUN_AFTER",
    "Change",
    "Course",
    "MemberRow",
    "SyncRun",
    "add_course",
    "check_course_free",
    "check_course_name",
    "check_name_free",
    "course_holder",
    "courses_on",
    "duplicate_courses",
    "duplicate_message",
    "find_course",
    "fits",
    "get_course",
    "get_course_by_id",
    "join_roles",
    "list_courses",
    "list_runs",
    "load_members",
    "load_role_mapping",
    "mark_interrupted_runs",
    "member_haystack",
    "process_handle",
    "remap_roles",
    "remove_course",
    "reset_role_rules",
    "run_changes",
    "set_role_rule",
    "split_roles",
    "update_course",
    "utcnow",
]
