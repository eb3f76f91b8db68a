"""Text from a submission, made safe to show: one definition of what a control character is."""
from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls: enough to move a cursor or clear a screen.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: object, replacement: str = "") -> str:
    return CONTROL.sub(replacement, str(text))
