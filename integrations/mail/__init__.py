"""E-mail to customers: the return label message, its "cancelled" notice, the reminder and the "received"
follow-up; SMTP or outbox delivery, texts in the customer's language."""

from integrations.mail.addresses import normalize_address
from integrations.mail.errors import MailError
from integrations.mail.mailer import Mailer, mailer_from_settings
from integrations.mail.message import label_email, message_id_for, received_email, reminder_email, void_email
from integrations.mail.outbox import OutboxMailer
from integrations.mail.smtp import SmtpMailer
from integrations.mail.texts import LabelText, label_text

__all__ = [
    "LabelText",
    "MailError",
    "Mailer",
    "OutboxMailer",
    "SmtpMailer",
    "label_email",
    "label_text",
    "mailer_from_settings",
    "message_id_for",
    "normalize_address",
    "received_email",
    "reminder_email",
    "void_email",
]
