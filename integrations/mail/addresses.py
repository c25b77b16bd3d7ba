"""E-mail address checks strict enough to keep junk out of SMTP and headers, loose enough for real people."""

from __future__ import annotations

import re

from integrations.mail.errors import NO_VALID_ADDRESS, MailError

# Characters that only appear in display names, address lists, quoted or commented forms. A bare
# addr-spec never needs them, and refusing them keeps "a@b.c, evil@x.y" out of the envelope.
_FORBIDDEN = re.compile(r'[\s<>(),;:"\[\]\\\x00-\x1f\x7f]')
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_address(text: str | None) -> str | None:
    """The address with its domain in IDNA ASCII form, or None when it cannot be a deliverable address.

    The domain is converted so that "jānis@example.lv" and "anna@piemērs.lv" travel without SMTPUTF8
    whenever the local part allows it.
    """
    candidate = (text or "").strip()
    if not candidate or len(candidate) > 254 or _FORBIDDEN.search(candidate) or candidate.count("@") != 1:
        return None
    local, domain = candidate.split("@")
    if not local or len(local) > 64 or local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return None
    return f"{local}@{ascii_domain}"


def require_address(text: str | None, problem: str = NO_VALID_ADDRESS) -> str:
    address = normalize_address(text)
    if address is None:
        raise MailError(problem)
    return address
