"""LTIAAS-compatible HTTP simulator in front of fake LMSes.

RosterSync talks to learning management systems only through LTIAAS. This
package serves the same API on loopback, backed by deterministic sample
courses with real LMS quirks, so the demo has data and the integration tests
have a real HTTP counterpart that can also misbehave on request: fail like a
real deployment (:class:`Fault`) or answer like a hostile one (:class:`Attack`).
"""

from rostergui.simulator.attacks import ATTACK_NAMES, Attack, parse_attack
from rostergui.simulator.cli import serve
from rostergui.simulator.model import Fault, RequestRecord, SimCourse
from rostergui.simulator.samples import sample_courses
from rostergui.simulator.server import DEFAULT_API_KEY, Simulator

__all__ = [
    "ATTACK_NAMES",
    "DEFAULT_API_KEY",
    "Attack",
    "Fault",
    "RequestRecord",
    "SimCourse",
    "Simulator",
    "parse_attack",
    "sample_courses",
    "serve",
]
