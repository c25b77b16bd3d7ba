"""Who a message goes to and comes from, checked the same way by every mailer before anything is sent."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import getaddresses, make_msgid

from integrations.mail.addresses import normalize_address, require_address
from integrations.mail.errors import NO_VALID_ADDRESS, MailError


def recipients_of(message: EmailMessage) -> list[str]:
    """Every To/Cc/Bcc address, normalised; MailError when any is invalid or there is none.

    One bad address fails the whole message: a label e-mail has one recipient, and sending to "some" of
    them would hide the problem from the agent.
    """
    fields = [str(value) for name in ("To", "Cc", "Bcc") for value in message.get_all(name, [])]
    pairs = getaddresses(fields)
    addresses = [normalize_address(address) for _, address in pairs]
    if not addresses or any(address is None for address in addresses):
        raise MailError(NO_VALID_ADDRESS)
    return [address for address in addresses if address is not None]


def sender_of(message: EmailMessage) -> str:
    pairs = getaddresses([str(value) for value in message.get_all("From", [])])
    return require_address(pairs[0][1] if pairs else "", "the e-mail has no valid sender (From) address")


def ensure_message_id(message: EmailMessage) -> str:
    """The message's Message-ID, adding one when a caller built the message without it."""
    if not message["Message-ID"]:
        message["Message-ID"] = make_msgid(domain=sender_of(message).rsplit("@", 1)[-1])
    return str(message["Message-ID"]).strip()
