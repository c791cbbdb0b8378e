"""The library's pages: `/space/{token}/library`, every entry grouped by competency and
theme with a text filter, and an admin's star link (`/star/{token}`: GET shows the answer
and a button, POST puts it in the library or takes it out — a mail scanner only GETs)."""

from datetime import datetime

from aws_lambda_powertools.event_handler import Response

from palabre.core.attribution import byline
from palabre.core.library import library_groups, matches, searchable, shown_entries
from palabre.core.links import Links, writer
from palabre.core.models import Answer, Member, Theme, Visibility
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store.library import LibraryStore
from palabre.store.members import MemberStore
from palabre.store.table import Table
from palabre.store.themes import ThemeStore
from palabre.web import Pages, form_fields

QUERY_LIMIT = 200
"""characters of a filter kept"""


class LibraryPages:
    def __init__(self, table: Table, signer: Signer, pages: Pages, *, threshold: int) -> None:
        self.library = LibraryStore(table)
        self.themes = ThemeStore(table)
        self.members = MemberStore(table)
        self.signer = signer
        self.pages = pages
        self.threshold = threshold
        """the anonymity threshold (core.attribution)"""

    def show(self, token: str, now: datetime, query: str) -> Response[str]:
        member = self.members.get(self.signer.member_of(token, now))
        if member is None:  # no longer (or never) in the roster: the plain 404
            raise InvalidToken
        locale = member.locale
        query = " ".join(query[:QUERY_LIMIT].split())
        words = searchable(query).split()
        everything = self.library.entries()
        # What the page shows is one view: the anonymous rule applies to the entries found
        # (core.attribution).
        found = shown_entries([e for e in everything if matches(words, e)], self.threshold)
        return self.pages.render(
            "space_library",
            locale,
            token=token,
            query=query,
            total=len(everything),
            count=len(found),
            competencies=library_groups(found, locale),
        )

    # ------------------------------------------------------------------ the star link
    def star_page(self, token: str, path: str, now: datetime) -> Response[str]:
        answer, admin, theme = self._star(token, now)
        return self._star_page(answer, admin, theme, path, now, outcome="")

    def star(self, token: str, path: str, body: str, now: datetime) -> Response[str]:
        answer, admin, theme = self._star(token, now)
        action = form_fields(body, limit=256).get("action", [""])[0]
        if action == "add":
            done = self.library.star(theme, answer.member_id, admin.id, now)
            outcome = "added" if done else "already_in"
        elif action == "remove":
            done = self.library.remove(theme.id, answer.member_id, admin.id, now)
            outcome = "removed" if done else "already_out"
        else:
            return self._star_page(answer, admin, theme, path, now, outcome="", status=400)
        fresh = self.library.answer(theme.id, answer.member_id) or answer
        return self._star_page(fresh, admin, theme, path, now, outcome=outcome)

    def _star(self, token: str, now: datetime) -> tuple[Answer, Member, Theme]:
        """The answer, the admin and the theme of a star link: the same plain 404 when the
        link is bad, its admin no longer one, or the answer not shared with everyone."""
        claims = self.signer.verify(Purpose.STAR, token, now)
        if len(claims.ids) != 3:
            raise InvalidToken
        theme_id, sealed_author, admin_in_link = claims.ids
        admin_id = self.signer.member(admin_in_link, Purpose.STAR, theme_id)
        author_id = self.signer.opened(sealed_author, theme_id, admin_id)
        admin = writer(self.members.get(admin_id))
        if not admin.is_admin:
            raise InvalidToken
        answer = self.library.answer(theme_id, author_id)
        theme = self.themes.get(theme_id)
        if answer is None or theme is None or answer.visibility is not Visibility.ORGANISATION:
            raise InvalidToken
        return answer, admin, theme

    def _star_page(
        self,
        answer: Answer,
        admin: Member,
        theme: Theme,
        path: str,
        now: datetime,
        *,
        outcome: str,
        status: int = 200,
    ) -> Response[str]:
        links = Links("..", self.signer)  # from /star/{token}
        return self.pages.render(
            "star",
            admin.locale,
            status=status,
            title=theme.title_for(admin.locale),
            author=byline(answer),
            text=answer.text,
            in_library=bool(answer.library_at),
            outcome=outcome,
            action=path,
            theme_url=links.space_theme(admin.id, theme.id, now),
        )
