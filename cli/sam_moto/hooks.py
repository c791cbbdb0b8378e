"""What the stack asks of the application it runs: five small things, nothing more.

The stack knows SAM and moto, not the application. An application gives it a `Hooks`:
how its code reads the clock, how to watch the AWS clients its handlers make (to check
IAM), what to do after each invocation, where its layers appear in Lambda, and what the
console offers beyond the stack's own pages.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

type Clock = Callable[[], datetime]
type ClientWatch = Callable[[str, Any], None]
"""called with (service name, client) for each AWS client the handlers make"""


@dataclass(frozen=True)
class Readable:
    """A result told as a reader would want it, in the language `lang`: a headline, the
    figures (one short line each), then sections of (where, what) sentences."""

    lang: str
    ok: bool
    headline: str
    figures: Sequence[str] = ()
    sections: Sequence[tuple[str, Sequence[tuple[str, str]]]] = ()
    """(title, [(where, what)...]): e.g. the errors, by row and column"""
    advice: str = ""


@dataclass(frozen=True)
class Shortcut:
    """A page of the application the console links to (a demo user's own space)."""

    label: str
    url: str
    note: str = ""


@dataclass(frozen=True)
class Console:
    """What the console shows beyond the stack: the application's name and wall clock,
    the metadata an upload may carry (name -> label), sample files to download (name ->
    bytes), how to read the result an upload leaves behind (None while none) and tell it
    in sentences, what its functions do in plain words, and the pages it links to."""

    title: str = "Local stack"
    timezone: str = "UTC"
    """the zone the console shows the clock in (the application's wall clock)"""
    upload_metadata: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, bytes] = field(default_factory=dict)
    upload_result: Callable[[Any, str, str], dict[str, Any] | None] | None = None
    """(s3 client, bucket, key) -> the result of processing that upload"""
    upload_defaults: Callable[[Any, Mapping[str, str]], dict[str, str]] | None = None
    """(stack, metadata given) -> the metadata an upload through the stack carries, the
    fields left out filled in as the application wants them"""
    describe_upload: Callable[[Any, str, dict[str, Any]], Readable] | None = None
    """(stack, key, upload_result's result) -> that result in sentences (None: as JSON)"""
    function_names: Mapping[str, str] = field(default_factory=dict)
    """a function's logical id -> what it does, in a few plain words (the clock's progress)"""
    shortcuts: Callable[[Any], Sequence[Shortcut]] | None = None
    """(stack) -> the pages of the application the console links to, as it stands now"""
    admin_link: Callable[[Any, str], str] | None = None
    """(stack, an address) -> that admin's link to the application's admin pages
    (GET /_local/admin-link?email=); LookupError, a sentence, when they are none"""


class Hooks(Protocol):
    layer_mounts: Mapping[str, str]
    """where a layer's content appears in Lambda (/opt/...) -> the layer's logical id"""

    def use_clock(self, clock: Clock) -> None:
        """Make the application's code read the stack's clock."""

    def watch_clients(self, watch: ClientWatch) -> Callable[[], None]:
        """Call `watch` on each AWS client the handlers make; returns how to stop."""

    def after_invocation(self) -> None:
        """Once each invocation is over (flush or drop what it buffered)."""

    def console(self) -> Console: ...


class NoHooks:
    """An application that reads the system clock and needs nothing else: IAM is then
    checked on no client."""

    layer_mounts: Mapping[str, str] = {}

    def use_clock(self, clock: Clock) -> None:
        return None

    def watch_clients(self, watch: ClientWatch) -> Callable[[], None]:
        return lambda: None

    def after_invocation(self) -> None:
        return None

    def console(self) -> Console:
        return Console()
