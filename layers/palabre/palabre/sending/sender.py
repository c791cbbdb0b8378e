"""One queued job becomes at most one email, recorded once: a theme's prompt or reminder
(prompts.py), or a week's digest or admin report (palabre.digest.delivery)."""

from datetime import datetime

from palabre.core.jobs import Deliverer, Delivery, ThemeJob, WeeklyJob


class JobSender:
    def __init__(
        self, themes: Deliverer[ThemeJob], weekly: Deliverer[WeeklyJob] | None = None
    ) -> None:
        self.themes = themes
        self.weekly = weekly

    def deliver(self, job: ThemeJob | WeeklyJob, now: datetime) -> Delivery:
        if isinstance(job, ThemeJob):
            return self.themes.deliver(job, now)
        if self.weekly is None:
            raise ValueError("this sender has no digest editions")
        return self.weekly.deliver(job, now)
