"""Sending raw MIME through SES v2 (raw keeps both parts and every header)."""

from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from palabre.mail.mime import Mail

if TYPE_CHECKING:
    from types_boto3_sesv2 import SESV2Client

_THROTTLING = {"TooManyRequestsException", "Throttling", "ThrottlingException"}
_QUOTA = {"LimitExceededException", "DailyQuotaExceeded"}
# This very message refused (its address, its content): sending it again gets the same
# answer. Not the account's troubles (suspended, paused, an unverified MAIL FROM), which
# every message meets until someone acts.
_REFUSED = {"MessageRejected", "BadRequestException", "InvalidParameterValue"}


class Throttled(Exception):
    """SES asked us to slow down: the job goes back to the queue and is retried later."""


class QuotaExhausted(Exception):
    """SES's daily quota is spent: this job and the rest wait in the queue."""


class Pacer(Protocol):
    """Keeps sends under SES's rate (palabre.sending.pace.Pace)."""

    def wait(self) -> None:
        """Returns when the next email may go (or raises: it may not go now)."""

    def throttled(self) -> None:
        """SES refused an email for its rate: slow everyone down."""


class Outbox:
    def __init__(
        self, sesv2: "SESV2Client", configuration_set: str, pace: Pacer | None = None
    ) -> None:
        self.sesv2 = sesv2
        self.configuration_set = configuration_set
        self.pace = pace

    def send(self, message: Mail, *, tags: dict[str, str] | None = None) -> str:
        """Hands the message to SES and returns SES's message id; a refusal to go faster
        raises Throttled, a spent daily quota QuotaExhausted."""
        request: dict[str, Any] = {
            "FromEmailAddress": message.sender,
            "Destination": {"ToAddresses": list(message.recipients)},
            "Content": {"Raw": {"Data": message.data}},
            "ConfigurationSetName": self.configuration_set,
        }
        if tags:
            request["EmailTags"] = [{"Name": k, "Value": v} for k, v in tags.items()]
        if self.pace is not None:
            self.pace.wait()
        try:
            return self.sesv2.send_email(**request)["MessageId"]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            # SES reports a spent daily quota as a throttling error ("Daily message quota
            # exceeded"): the message tells it from a rate limit, so it is read first.
            if code in _QUOTA or "quota" in str(error).lower():
                raise QuotaExhausted(code) from error
            if code in _THROTTLING:
                if self.pace is not None:
                    self.pace.throttled()
                raise Throttled(code) from error
            raise


def refused(error: ClientError) -> bool:
    """SES refused this message itself (an address it will not take, say): trying it
    again is pointless, unlike a throttle or a 5xx."""
    return error.response.get("Error", {}).get("Code", "") in _REFUSED
