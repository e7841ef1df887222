"""What goes wrong with the course's data."""

from __future__ import annotations

from hpclab.errors import HpclabError


class DataError(HpclabError, ValueError):
    """A dataset cannot be made, found or trusted; the message says what to do."""
