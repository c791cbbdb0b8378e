"""Sending raw MIME through SES v2 (raw keeps both parts and every header)."""

from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Any


class Outbox:
    def __init__(self, sesv2: Any, configuration_set: str) -> None:
        self.sesv2 = sesv2
        self.configuration_set = configuration_set

    def send(self, message: EmailMessage, *, tags: dict[str, str] | None = None) -> str:
        """Hands the message to SES and returns SES's message id."""
        recipients = [address for _, address in getaddresses(message.get_all("To", []))]
        request: dict[str, Any] = {
            "FromEmailAddress": parseaddr(message["From"])[1],
            "Destination": {"ToAddresses": recipients},
            "Content": {"Raw": {"Data": message.as_bytes()}},
            "ConfigurationSetName": self.configuration_set,
        }
        if tags:
            request["EmailTags"] = [{"Name": k, "Value": v} for k, v in tags.items()]
        return self.sesv2.send_email(**request)["MessageId"]
