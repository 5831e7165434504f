"""One signature under a staff reply.

A predefined reply often signs off itself ("Kind regards,\\n{agent_name}\\n{department}"); adding
the agent's signature below it would sign twice, naming two departments. When the reply ends
with a closing line (within its last few lines), the agent's signature replaces what follows
the closing line (and the closing too, when the signature brings its own).
"""

import re

CLOSINGS = re.compile(
    r"^(kind regards|best regards|warm regards|regards|best wishes|best|thanks|thank you|many thanks|"
    r"sincerely|yours sincerely|cheers|cu stim[aă]|cu respect|mul[tț]umim|mul[tț]umesc|toate cele bune)"
    r"\s*[,.!]?$",
    re.IGNORECASE,
)
TAIL_LINES = 5


def _closing_index(lines: list[str]) -> int | None:
    """Return the index of the closing line among the last few non-empty lines, or None."""
    seen = 0
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].strip()
        if not line:
            continue
        if CLOSINGS.match(line):
            return index
        seen += 1
        if seen >= TAIL_LINES:
            return None
    return None


def sign(body: str, signature: str) -> str:
    """Return the body signed once with the agent's signature."""
    signature = (signature or "").strip()
    body = (body or "").rstrip()
    if not signature:
        return body
    lines = body.splitlines()
    closing = _closing_index(lines)
    if closing is None:
        return f"{body}\n\n-- \n{signature}"
    head = "\n".join(lines[:closing]).rstrip()
    first_of_signature = signature.splitlines()[0].strip()
    if CLOSINGS.match(first_of_signature):
        return f"{head}\n\n{signature}"
    return f"{head}\n\n{lines[closing].strip()}\n{signature}"
