"""Sending mail through SMTP (`KAM_SMTP_URL`), and the signed tokens of the tracking links.

Infrastructure of the plays service: `smtplib` for the wire, `itsdangerous` for the tokens.
`smtp://host:port` (plain, STARTTLS when the server offers it), `smtps://host:port` (TLS from
the start); `user:password@` in the URL logs in.
"""

from __future__ import annotations

import email.policy
import hashlib
import hmac
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import unquote, urlsplit

from itsdangerous import BadData, URLSafeSerializer

# SMTP's line endings; header lines up to SMTP's own limit, so a link is never folded or encoded.
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)
TOKEN_SALT = "kam-tracking-links"  # noqa: S105 - a salt that names the use, not a secret
KINDS = ("o", "c", "u")  # open, click, unsubscribe


class MailUnavailable(Exception):
    """The SMTP server cannot be reached or broke off: try again later."""


class Refused(Exception):
    """The server refused this recipient for good (a bounce)."""


@dataclass(frozen=True)
class Mailer:
    url: str
    sender: str
    timeout: float = 10.0

    @contextmanager
    def connection(self) -> Iterator[smtplib.SMTP]:
        parts = urlsplit(self.url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailUnavailable(f"KAM_SMTP_URL must be smtp:// or smtps://host:port: {self.url}")
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
        try:
            if parts.scheme == "smtps":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    parts.hostname, port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(parts.hostname, port, timeout=self.timeout)
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(f"{parts.hostname}:{port}: {exc}") from exc
        try:
            yield smtp
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def send(self, smtp: smtplib.SMTP, message: EmailMessage) -> None:
        """Hand one message over; `Refused` for a permanent refusal of its recipient."""
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise Refused(str(exc.recipients)) from exc
            raise MailUnavailable(str(exc.recipients)) from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600 and exc.smtp_code not in (550, 551, 553):
                raise MailUnavailable(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            if 500 <= exc.smtp_code < 600:
                raise Refused(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise MailUnavailable(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(str(exc)) from exc

    def message(
        self,
        *,
        to_name: str,
        to_address: str,
        subject: str,
        text: str,
        html: str,
        unsubscribe_url: str,
    ) -> EmailMessage:
        message = EmailMessage(policy=MAIL_POLICY)
        message["From"] = self.sender
        message["To"] = formataddr((to_name, to_address))
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message


class Tracking:
    """Per-recipient links that cannot be guessed or altered: the recipient's random id, the
    link kind and (for clicks) the link's index, signed with the service's secret."""

    def __init__(self, secret: str, public_url: str):
        self.serializer = URLSafeSerializer(secret, salt=TOKEN_SALT)
        self.public_url = public_url.rstrip("/")

    @classmethod
    def from_settings(cls, secret: str | None, internal_token: str, public_url: str) -> Tracking:
        derived = hmac.new(internal_token.encode(), TOKEN_SALT.encode(), hashlib.sha256)
        return cls(secret or derived.hexdigest(), public_url)

    def url(self, kind: str, recipient_id: str, index: int = 0) -> str:
        token = self.serializer.dumps([kind, recipient_id, index])
        return f"{self.public_url}/t/{kind}/{token}"

    def read(self, kind: str, token: str) -> tuple[str, int] | None:
        """(recipient id, link index), or None for a token that is not ours, not of this kind
        or altered."""
        try:
            found = self.serializer.loads(token)
        except BadData:
            return None
        if (
            not isinstance(found, list)
            or len(found) != 3
            or found[0] != kind
            or not isinstance(found[1], str)
            or not isinstance(found[2], int)
            or isinstance(found[2], bool)
        ):
            return None
        return found[1], found[2]


def sender_address(name: str, address: str) -> str:
    return formataddr((name, address))
