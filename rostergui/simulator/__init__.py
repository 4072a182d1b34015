"""LTIAAS-compatible HTTP simulator in front of fake LMSes.

RosterSync talks to learning management systems only through LTIAAS. This
package serves the same API on loopback, backed by deterministic sample
courses with real LMS quirks, so the demo has data and the integration tests
have a real HTTP counterpart that can also misbehave on request.
"""

from rostergui.simulator.cli import serve
from rostergui.simulator.model import Fault, RequestRecord, SimCourse
from rostergui.simulator.samples import sample_courses
from rostergui.simulator.server import DEFAULT_API_KEY, Simulator

__all__ = [
    "DEFAULT_API_KEY",
    "Fault",
    "RequestRecord",
    "SimCourse",
    "Simulator",
    "sample_courses",
    "serve",
]
