"""RosterSync: keep LTI course rosters in sync with learning management systems via LTIAAS."""

__version__ = "0.1.0"
APP_NAME = "RosterSync"
