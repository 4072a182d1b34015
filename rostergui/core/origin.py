"""The LTIAAS address an administrator types, checked and spelled one way.

The API key is stored in the keyring under the LTIAAS origin and sent only to it, so the
origin is decided in one place: here. It is a module of its own because the course dialog
checks an address as it is typed, long before any HTTP client exists.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from urllib.parse import urlsplit

import httpx

from rostergui.core import errors


def is_loopback_host(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: Characters a host (with port) may hold besides letters and digits.
_HOST_PUNCTUATION = frozenset("-._:[]%")


def normalise_base_url(url: str) -> str:
    """Validate an LTIAAS base URL and return its origin (``https://host[:port]``).

    HTTPS is required so the API key is never sent in clear text; plain HTTP is allowed only
    for loopback addresses (the built-in simulator, a local proxy). The origin is spelled one
    way (lower case, no default or empty port), because the API key is stored under it; a host
    with spaces, control, invisible or bidi characters, or one the HTTP client cannot encode,
    is refused here rather than failing later.
    """
    text = url.strip()
    if not text:
        raise errors.ConfigError(
            "Enter your LTIAAS address, for example https://yourtool.ltiaas.com"
        )
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text[:80])
    shown += "…" if len(text) > 80 else ""
    problem = (
        f"'{shown}' is not a web address; enter your LTIAAS address, "
        "for example https://yourtool.ltiaas.com"
    )
    if "://" not in text:
        if text.casefold().startswith(("http:", "https:")):  # https:/host, https:host
            raise errors.ConfigError(problem)
        text = "https://" + text
    if len(text) > 500 or not text.isprintable() or " " in text:
        raise errors.ConfigError(problem)
    try:
        parts = urlsplit(text)
        hostname, port = parts.hostname, parts.port
    except ValueError:  # an unclosed [IPv6 bracket, a port that is no number or too large
        raise errors.ConfigError(problem) from None
    if parts.scheme not in ("http", "https") or not hostname or port == 0:
        raise errors.ConfigError(problem)
    if parts.username or parts.password:
        raise errors.ConfigError("Leave the user name and password out of the LTIAAS address")
    for char in hostname:
        if unicodedata.category(char)[0] in "CZ" or (
            char.isascii() and not char.isalnum() and char not in _HOST_PUNCTUATION
        ):
            raise errors.ConfigError(problem)
    if parts.scheme == "http" and not is_loopback_host(hostname):
        raise errors.ConfigError(
            f"'{shown}' uses plain http; LTIAAS must be reached over https so the API key is "
            "encrypted (http is accepted only for this computer, e.g. http://127.0.0.1)"
        )
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(hostname)
        except ValueError:
            raise errors.ConfigError(problem) from None
    host = f"[{hostname}]" if ":" in hostname else hostname
    default_port = 443 if parts.scheme == "https" else 80
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")
    try:
        httpx.URL(origin)  # what the client will send to: IDNA and IP address rules
    except (httpx.InvalidURL, ValueError):
        raise errors.ConfigError(problem) from None
    return origin
