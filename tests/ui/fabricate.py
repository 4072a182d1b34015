"""Made-up members in bulk, for model and speed tests that need no database."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from rostergui.core.roles import ToolRole
from rostergui.core.store.repo import MemberRow

_GIVEN = [
    "Ana",
    "José",
    "Björn",
    "Chloé",
    "Wei",
    "Ångström",
    "Priya",
    "Kwame",
    "Olga",
    "Noah",
    "Léa",
    "Mateo",
    "Yuki",
    "Fatima",
    "Liam",
    "Zoë",
    "Hiroshi",
    "Amara",
    "Søren",
    "Ines",
]
_FAMILY = [
    "García",
    "Müller",
    "Nakamura",
    "O'Brien",
    "Smith",
    "Novák",
    "Dubois",
    "Kowalski",
    "Okafor",
    "Rossi",
    "Jensen",
    "Silva",
    "Chen",
    "Ivanova",
    "Haddad",
    "Núñez",
    "Berg",
    "Kim",
    "Patel",
    "Levi",
]
_CJK = ["王伟", "李娜", "张敏", "刘洋", "陈静"]


def fabricate_members(count: int, *, seed: int = 1, inactive_share: float = 0.1) -> list[MemberRow]:
    """``count`` members sorted by name, like the store returns them."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1)
    rows = []
    roles = (
        [ToolRole.LEARNER] * 90
        + [ToolRole.TEACHING_ASSISTANT] * 6
        + [ToolRole.INSTRUCTOR] * 3
        + [ToolRole.OTHER]
    )
    for n in range(count):
        if n % 50 == 7:
            name = rng.choice(_CJK)
            given, family = name[1:], name[:1]
        else:
            given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
            name = f"{given} {family}"
        role = rng.choice(roles)
        first = start + timedelta(minutes=rng.randint(0, 500_000))
        active = rng.random() >= inactive_share
        rows.append(
            MemberRow(
                user_id=str(100000 + n),
                name=name,
                given_name=given,
                family_name=family,
                email=f"user{n}@example.edu",
                role=role.value,
                lti_roles=(
                    f"http://purl.imsglobal.org/vocab/lis/v2/membership#{role.name.title()}",
                ),
                status="active" if active else "inactive",
                test_user=n % 997 == 0,
                first_seen_at=first,
                last_seen_at=first + timedelta(days=3),
                deactivated_at=None if active else first + timedelta(days=2),
            )
        )
    rows.sort(key=lambda r: (r.display_name.casefold(), r.user_id))
    return rows
