"""Where the quoted history below a plain-text reply starts: Gmail's "On ... wrote:" (and its
translations, also wrapped over two lines), "-----Original Message-----", an Outlook header block
("From:" followed by Sent/To/Subject lines), or "> " lines that run to the end.

One splitter for the whole app: the intake cuts replies with it (tickets.intake.bodies) and the
agent workspace folds the history of a shown message with it (tickets.workspace.templatetags).
Pure text, no Django.
"""

import re

_WROTE = re.compile(
    r"^\s*(On\s.+wrote|Am\s.+schrieb|Le\s.+a\s+écrit|El\s.+escribió|Op\s.+schreef|Il\s.+ha\s+scritto"
    r"|Den\s.+skrev|W\s+dniu\s.+pisze|Em\s.+escreveu)\s*:?\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|"
    r"Oorspronkelijk bericht|Messaggio originale|Originalmeddelande)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|Von|De|Van|Da|Från|Od)\s*:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado|Verzonden|Inviato|Skickat|Wysłano|To|An|À|Para|Aan|A|Till|Do"
    r"|Subject|Betreff|Objet|Asunto|Onderwerp|Oggetto|Ämne|Temat)\s*:",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")


def _quote_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _WROTE.match(line) or (
            i + 1 < len(lines) and re.match(r"^\s*On\s", line) and _WROTE.match(f"{line} {lines[i + 1]}")
        ):
            return i
        if _ORIGINAL.match(line):
            return i
        if _OUTLOOK_FROM.match(line):
            window = lines[i + 1 : i + 5]
            if sum(1 for w in window if _OUTLOOK_NEXT.match(w)) >= 2:
                return i - 1 if i > 0 and _UNDERSCORES.match(lines[i - 1]) else i
        if stripped.startswith(">"):
            rest = [x for x in lines[i:] if x.strip()]
            if all(x.lstrip().startswith(">") for x in rest):
                return i
    return None


def split_quoted(text: str) -> tuple[str, str]:
    """Split a plain-text body into (what was written, the quoted history below it). Nothing is
    split off ("" as history) when there is no history, or nothing written above it."""
    lines = text.splitlines()
    cut = _quote_start(lines)
    if cut is None:
        return text, ""
    reply = "\n".join(lines[:cut]).rstrip()
    if not reply.strip():
        return text, ""
    return reply, "\n".join(lines[cut:]).strip("\n")
