"""Query parameters of ``GET /v1/links/{code}/qr`` (the QR function only)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

# Pixels per module (SVG: user units per module). A module is one black or white square of the code.
MIN_SCALE, MAX_SCALE, DEFAULT_SCALE = 1, 40, 8
# The quiet zone around the code, in modules: 4 is what ISO/IEC 18004 asks for; 0 for a designer's own frame.
MIN_MARGIN, MAX_MARGIN, DEFAULT_MARGIN = 0, 16, 4
_SMALL_NUMBER = re.compile(r"[0-9]{1,3}")


def _ascii_number(value: object) -> object:
    """A query parameter is text: 1-3 ASCII digits (not ``"1_0"``, ``" 8"`` or ``"²"``, which ``int()`` would read
    or choke on)."""
    if isinstance(value, str):
        if not _SMALL_NUMBER.fullmatch(value):
            raise ValueError("a whole number of 1 to 3 digits")
        return int(value)
    return value


_Number = BeforeValidator(_ascii_number)


class QrQuery(BaseModel):
    """``?format=svg|png&size=&margin=&ecc=L|M|Q|H&domain=``; unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["svg", "png"] = "svg"
    size: Annotated[int, _Number, Field(ge=MIN_SCALE, le=MAX_SCALE)] = DEFAULT_SCALE
    margin: Annotated[int, _Number, Field(ge=MIN_MARGIN, le=MAX_MARGIN)] = DEFAULT_MARGIN
    ecc: Literal["L", "M", "Q", "H"] = "M"
    domain: Annotated[str, StringConstraints(min_length=1, max_length=253)] | None = None
