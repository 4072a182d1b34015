"""Hostile answers below the roster: broken bodies, huge sizes, slow time, echoed secrets.

``body``: answers that are not quite JSON, or JSON that is not quite an answer: repeated keys,
a BOM, UTF-16, deep nesting, NaN tokens, truncation, HTML, a wrong Content-Type. ``size``: a
gzip bomb and a huge body, both generated while they are sent. ``time``: a body or headers
trickled a byte at a time, and a server that never answers. ``secret``: error bodies that
echo the request's credentials back. :data:`SPECS` names the builders for :mod:`.attacks`.
"""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from rostergui.simulator.attack_kit import (
    Answer,
    AttackSpec,
    Builder,
    Context,
    json_answer,
    json_array,
    member_texts,
    render_page,
)
from rostergui.simulator.members import json_text

#: The id ``repeated_keys`` puts first in the page's first member (its real id follows).
DECOY_ID = "decoy-repeated-key"

_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in to continue</title></head>\n"
    b'<body><h1>Network login</h1><form method="post" action="/login">'
    b'<input name="user"><input name="password" type="password"></form></body></html>\n'
)


# --- body-level garbage -----------------------------------------------------------------


def _repeated_keys(ctx: Context) -> Answer:
    page = ctx.page()
    texts = member_texts(page)
    if texts:
        texts[0] = f'{{"{ctx.id_key}":{json_text(DECOY_ID)},' + texts[0][1:]
    return json_answer(render_page(page, members=json_array(texts)))


def _bom(ctx: Context) -> Answer:
    return json_answer(b"\xef\xbb\xbf" + ctx.body)


def _utf16(ctx: Context) -> Answer:
    body = ctx.body.decode("utf-8").encode("utf-16")
    return Answer(body=body, content_type="application/json; charset=utf-16")


def _deep_nesting(ctx: Context) -> Answer:
    depth = ctx.attack.sized()
    return json_answer(b"[" * depth + b"]" * depth)


def _nan_tokens(ctx: Context) -> Answer:
    page = ctx.page()
    texts = [t[:-1] + ',"x_score":NaN,"x_weight":Infinity}' for t in member_texts(page)]
    return json_answer(render_page(page, members=json_array(texts), extra=',"x_total":-Infinity'))


def _truncated(ctx: Context) -> Answer:
    body = ctx.body
    cut = max(1, len(body) * 2 // 3)
    while cut > 1 and body[cut] >= 0x80:  # cut between characters: broken JSON, valid UTF-8
        cut -= 1
    return json_answer(body[:cut])


def _html(ctx: Context) -> Answer:
    return Answer(body=_HTML, content_type="text/html; charset=utf-8")


def _wrong_type(ctx: Context) -> Answer:
    return Answer(body=ctx.body, content_type="text/html; charset=utf-8")


# --- size -------------------------------------------------------------------------------

_UNIT_BYTES = 1 << 20
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


@dataclass(frozen=True, slots=True)
class _BombParts:
    """A deflate stream cut at full flushes, so the middle segment can be repeated at will."""

    head: bytes
    unit: bytes
    tail: bytes
    head_z: bytes
    unit_z: bytes
    tail_z: bytes


@functools.cache
def _bomb_parts() -> _BombParts:
    head = b'{"id":"bomb","context":{"id":"bomb"},"members":['
    member = b'{"userId":"bomb","roles":[],"name":"Bomb"},'
    unit = member + b" " * (_UNIT_BYTES - len(member))
    tail = b'{"userId":"bomb","roles":[]}]}'
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    head_z = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    unit_z = packer.compress(unit) + packer.flush(zlib.Z_FULL_FLUSH)
    # After a full flush the compressor starts afresh: every further unit compresses alike.
    again = packer.compress(unit) + packer.flush(zlib.Z_FULL_FLUSH)
    if again != unit_z:  # pragma: no cover - zlib guarantees it
        raise RuntimeError("deflate output after a full flush is not repeatable")
    tail_z = packer.compress(tail) + packer.flush(zlib.Z_FINISH)
    return _BombParts(head, unit, tail, head_z, unit_z, tail_z)


def gzip_bomb(size: int) -> tuple[int, int, Callable[[], Iterator[bytes]]]:
    """A gzip stream of a roster page that inflates to about ``size`` bytes.

    Returns (compressed length, inflated length, a function giving the stream in chunks).
    The stream is produced while it is sent: the simulator holds one megabyte of it at most.
    """
    parts = _bomb_parts()
    units = max(1, -(-(size - len(parts.head) - len(parts.tail)) // len(parts.unit)))
    inflated = len(parts.head) + units * len(parts.unit) + len(parts.tail)
    compressed = (
        len(_GZIP_HEADER) + len(parts.head_z) + units * len(parts.unit_z) + len(parts.tail_z) + 8
    )

    def stream() -> Iterator[bytes]:
        yield _GZIP_HEADER + parts.head_z
        crc = zlib.crc32(parts.head)
        batch = 64
        for done in range(0, units, batch):
            count = min(batch, units - done)
            for _ in range(count):
                crc = zlib.crc32(parts.unit, crc)
            yield parts.unit_z * count
        crc = zlib.crc32(parts.tail, crc)
        yield parts.tail_z + struct.pack("<II", crc, inflated & 0xFFFFFFFF)

    return compressed, inflated, stream


def _gzip_bomb(ctx: Context) -> Answer:
    length, _, stream = gzip_bomb(ctx.attack.sized())
    return Answer(headers=(("Content-Encoding", "gzip"),), stream=stream, length=length)


def _huge_body(ctx: Context) -> Answer:
    """The real answer with a padding string that makes it ``size`` bytes: valid JSON."""
    body = ctx.body.rstrip()
    head = body[:-1] + b',"padding":"' if body.endswith(b"}") else b'{"padding":"'
    end = b'"}'
    pad = max(0, ctx.attack.sized() - len(head) - len(end))
    block = b"x" * _UNIT_BYTES

    def stream() -> Iterator[bytes]:
        yield head
        left = pad
        while left > 0:
            step = min(left, len(block))
            yield block if step == len(block) else block[:step]
            left -= step
        yield end

    return Answer(stream=stream, length=len(head) + pad + len(end))


# --- time -------------------------------------------------------------------------------


def _trickle_body(ctx: Context) -> Answer:
    return Answer(body=ctx.body, trickle="body")


def _trickle_headers(ctx: Context) -> Answer:
    return Answer(body=ctx.body, trickle="headers")


def _never_answer(ctx: Context) -> Answer:
    return Answer(hang=True)


# --- secrets ----------------------------------------------------------------------------


def _echo(status: int) -> Builder:
    def build(ctx: Context) -> Answer:
        auth = ctx.auth
        _, _, credentials = auth.partition(" ")
        secret = credentials.partition(":")[2]
        description = (
            f"Refused {secret} with key {ctx.api_key} "
            f"(encoded {quote(secret, safe='')} {quote(ctx.api_key, safe='')} "
            f"{quote_plus(ctx.api_key)}); header was {auth}; as sent: {quote(auth, safe='')}"
        )
        details = {
            "message": "INVALID_API_KEY" if status == 401 else "INTERNAL_SERVER_ERROR",
            "description": description,
            "externalError": status >= 500,
        }
        error = f"Rejected {quote_plus(auth)} for {ctx.api_key}"
        body = json_text({"status": status, "error": error, "details": details}).encode("utf-8")
        return Answer(status=status, body=body)

    return build


# --- the registry -----------------------------------------------------------------------

SPECS = (
    # body-level garbage
    AttackSpec(
        "repeated_keys",
        "body",
        'the first member is {"userId":DECOY_ID,"userId":<its id>,…}',
        _repeated_keys,
    ),
    AttackSpec("bom", "body", "a UTF-8 byte order mark before the JSON", _bom, roster_only=False),
    AttackSpec(
        "utf16", "body", "the answer encoded as UTF-16 (with BOM)", _utf16, roster_only=False
    ),
    AttackSpec(
        "deep_nesting",
        "body",
        "size opening brackets, then as many closing ones",
        _deep_nesting,
        roster_only=False,
        size=100_000,
    ),
    AttackSpec(
        "nan_tokens",
        "body",
        "NaN, Infinity and -Infinity tokens in extra member and page fields",
        _nan_tokens,
    ),
    AttackSpec(
        "truncated_json",
        "body",
        "the answer cut off after two thirds",
        _truncated,
        roster_only=False,
    ),
    AttackSpec(
        "html_200", "body", "a login page as text/html with status 200", _html, roster_only=False
    ),
    AttackSpec(
        "wrong_content_type",
        "body",
        "the real answer labelled text/html",
        _wrong_type,
        roster_only=False,
    ),
    # size
    AttackSpec(
        "gzip_bomb",
        "size",
        "Content-Encoding: gzip, about 1 MB that inflates to size bytes of a roster page",
        _gzip_bomb,
        roster_only=False,
        size=1 << 30,
    ),
    AttackSpec(
        "huge_body",
        "size",
        "the real answer padded to size bytes (valid JSON), streamed",
        _huge_body,
        roster_only=False,
        size=200_000_000,
    ),
    # time
    AttackSpec(
        "trickle_body",
        "time",
        "headers at once, then the body one byte per interval",
        _trickle_body,
        roster_only=False,
    ),
    AttackSpec(
        "trickle_headers",
        "time",
        "the status line and headers one byte per interval",
        _trickle_headers,
        roster_only=False,
    ),
    AttackSpec(
        "never_answer",
        "time",
        "reads the request and sends nothing until duration is up",
        _never_answer,
        roster_only=False,
    ),
    # secrets
    AttackSpec(
        "echo_secret_401",
        "secret",
        "401 whose error and description echo the Authorization header, the API key and the "
        "service key, raw and percent-encoded",
        _echo(401),
        roster_only=False,
    ),
    AttackSpec(
        "echo_secret_500",
        "secret",
        "the same echo in a 500 (external error) body",
        _echo(500),
        roster_only=False,
    ),
)
