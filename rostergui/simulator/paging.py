"""How a simulated LMS pages a roster: the state a ``next`` URL carries, and its spelling.

Each LMS encodes the walk in its own ``next`` URL (:class:`~.model.PagingStyle`: page number,
offset or an opaque cursor), always with the roster version the walk pinned, so a walk keeps
seeing the pages it started with. LTIAAS hands these URLs back as ``?url=``; the simulator
reads them here and refuses any it did not hand out.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode, urlsplit

from rostergui.simulator.ltiaas_api import INVALID_LIMIT, INVALID_URL, NO_NRPS, Response
from rostergui.simulator.members import Entry, json_text, member_to_json
from rostergui.simulator.model import SimCourse

#: The largest page size a ``next`` link may name, unless its course's LMS allows larger
#: pages (:meth:`~.model.SimCourse.largest_page`).
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class PageState:
    """Where a walk is: everything an LMS ``next`` URL carries."""

    version: int | None
    start: int
    size: int
    role: str | None
    rlid: str | None


def step(course: SimCourse, size: int) -> int:
    """How far each page advances: one less when pages overlap by a member."""
    if course.duplicate_across_pages and size >= 2:
        return size - 1
    return size


def page_number(course: SimCourse, state: PageState) -> int:
    return state.start // step(course, state.size) + 1


def page_url(course: SimCourse, state: PageState) -> str:
    style = course.paging
    params: list[tuple[str, str]] = []
    if style.kind == "cursor":
        token = f"{state.version}.{state.start}.{state.size}".encode()
        cursor = base64.urlsafe_b64encode(token).decode().rstrip("=")
        params.append((style.start_param, cursor))
    elif style.kind == "page":
        params.append((style.start_param, str(page_number(course, state))))
        params.append((style.size_param, str(state.size)))
    else:
        params.append((style.start_param, str(state.start)))
        params.append((style.size_param, str(state.size)))
    if state.role:
        params.append(("role", state.role))
    if state.rlid:
        params.append(("rlid", state.rlid))
    if style.kind != "cursor":
        params.append(("v", str(state.version)))
    return f"{course.lms_origin}{course.nrps_path}?{urlencode(params)}"


def parse_page_url(course: SimCourse, url: str) -> PageState | None:
    """Decode a ``next`` URL this course handed out; ``None`` if it is not one."""
    try:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
    except ValueError:
        return None
    if origin != course.lms_origin.lower() or parts.path != course.nrps_path:
        return None
    qs = parse_qs(parts.query, keep_blank_values=True)

    def one(name: str) -> str | None:
        values = qs.get(name)
        return values[0] if values else None

    style = course.paging
    largest = max(MAX_PAGE_SIZE, course.largest_page())
    version: int | None
    try:
        if style.kind == "cursor":
            token = one(style.start_param) or ""
            padded = token + "=" * (-len(token) % 4)
            raw_version, raw_start, raw_size = base64.urlsafe_b64decode(padded).decode().split(".")
            version, start, size = int(raw_version), int(raw_start), int(raw_size)
        else:
            first = int(one(style.start_param) or "")
            size = int(one(style.size_param) or "")
            raw_v = one("v")
            version = int(raw_v) if raw_v else None
            if style.kind == "page":
                if first < 1 or not 1 <= size <= largest:
                    return None
                start = (first - 1) * step(course, size)
            else:
                start = first
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None
    if start < 0 or not 1 <= size <= largest:
        return None
    return PageState(version, start, size, one("role") or None, one("rlid") or None)


def plan_walk(course: SimCourse, query: dict[str, str]) -> tuple[PageState | None, Response | None]:
    """Work out which page is wanted, before faults or churn apply.

    A fresh walk gets ``version=None``; it is pinned when actually served.
    """
    if not course.nrps_available:
        return None, Response(400, NO_NRPS)
    url = query.get("url")
    if url is not None:
        state = parse_page_url(course, url)
        if state is None:
            return None, Response(400, INVALID_URL)
        return state, None
    limit: int | None = None
    raw_limit = query.get("limit")
    if raw_limit:
        try:
            limit = int(raw_limit)
        except ValueError:
            limit = 0
        if limit < 1:
            return None, Response(400, INVALID_LIMIT)
    role = query.get("role") or None
    rlid = None
    if query.get("resourceLinkId", "").lower() in ("true", "1"):
        rlid = course.resource_link_id
    return PageState(None, 0, course.page_size(limit), role, rlid), None


def page_body(course: SimCourse, state: PageState, rows: Sequence[Entry]) -> bytes:
    """The page ``state`` names of these roster rows, as the course's LMS sends it: each
    generated member rendered straight to JSON text, the others as their dicts."""
    chunk = rows[state.start : state.start + state.size]
    snake = course.field_style == "snake"
    numeric = course.numeric_user_ids
    send_status = course.send_status
    source = course.roster.source
    members: list[str] = []
    for entry in chunk:
        if isinstance(entry, int):
            text = source.member_json(
                entry, snake=snake, numeric_ids=numeric, send_status=send_status
            )
        else:
            rendered = member_to_json(
                entry, snake=snake, numeric_ids=numeric, send_status=send_status
            )
            text = json_text(rendered)
        members.append(text)
    context = {"id": course.context_id, "label": course.label, "title": course.title}
    pieces = [
        '{"id":',
        json_text(page_url(course, state)),
        ',"context":',
        json_text(context),
        ',"members":[',
        ",".join(members),
        "]",
    ]
    if state.start + state.size < len(rows):
        following = replace(state, start=state.start + step(course, state.size))
        pieces += [',"next":', json_text(page_url(course, following))]
    pieces.append("}")
    return "".join(pieces).encode("utf-8")
