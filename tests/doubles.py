"""Stand-ins that wrap a real adapter or client: the real thing answers, except where a
test makes it fail, wait or count. Handlers get them through palabre.wiring.override, as
Lambda would run them, so no test patches a class or a private method."""

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

type Hook = Callable[..., None]


class Intercepted:
    """`real`, except that each named method first runs its hook with the call's
    arguments: a hook raises to make the call fail, or acts (counts, lets another request
    in) before the real call goes on."""

    def __init__(self, real: Any, **hooks: Hook) -> None:
        self._real = real
        self._hooks = hooks

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        hook = self._hooks.get(name)
        if hook is None:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            hook(*args, **kwargs)
            return attribute(*args, **kwargs)

        return call


def failing(error: Exception, times: int | None = None, when: Hook | None = None) -> Hook:
    """A hook that raises `error` (the first `times` calls, or always), for the calls
    `when` accepts (all of them if None)."""
    left = {"n": times}

    def hook(*args: Any, **kwargs: Any) -> None:
        if when is not None and not when(*args, **kwargs):
            return
        if left["n"] is None:
            raise error
        if left["n"] > 0:
            left["n"] -= 1
            raise error

    return hook


def once(action: Callable[[], Any]) -> Hook:
    """A hook that runs `action` on the first call only (another request gets in)."""
    done = {"yes": False}

    def hook(*_: Any, **__: Any) -> None:
        if not done["yes"]:
            done["yes"] = True
            action()

    return hook


def aws_error(code: str, message: str, operation: str = "SendEmail") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class SendQuota:
    """SES (v1) answering GetSendQuota with this rate: an account whose quota a test
    chooses (the local stack's is SES's default, 14 a second)."""

    def __init__(self, rate: float, daily: float = 50_000) -> None:
        self.rate = rate
        self.daily = daily
        self.calls = 0

    def get_send_quota(self) -> dict[str, float]:
        self.calls += 1
        return {"MaxSendRate": self.rate, "Max24HourSend": self.daily, "SentLast24Hours": 0.0}
