"""A theme's page in the member's space, and the library ("la mallette"): answers shared
with everyone enter it by "useful" votes from two circles at least, or by an admin's star;
members find them by competency and theme, with a filter that ignores case and accents."""

import re
from collections import Counter
from datetime import date, datetime, timedelta
from html import unescape
from typing import Any

from palabre.core.models import member_id
from palabre.core.tokens import Purpose
from palabre.core.typography import french
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.conftest import demo_organisation, dynamodb_item, make_stack, sent
from tests.functional.test_answers import get, link_of, post, signer
from tests.functional.test_digest import MONDAY, digest_of, digest_on, monday, text
from tests.functional.test_dispatch import LEA, OBSERVER
from tests.functional.test_scores import HUGO, MANON, answer, vote
from tests.functional.test_space import answered, requests, space_of
from tests.functional.test_weekly_details import export

LUCAS = "lucas.thomas@demo.palabre.example"  # Bâtisseurs
EMMA = "emma.laurent@demo.palabre.example"  # Passeurs
INES = "ines.leroy@demo.palabre.example"  # Éclaireurs
ADMIN = demo.ADMIN  # Camille, Bâtisseurs
PRACTICE = "Une météo d'équipe en trois mots, chaque lundi, <b>sans</b> débat & « vite »."


def theme_page(stack: LocalStack, address: str, theme: str = "demo-1") -> str:
    return f"{space_of(stack, address)}/themes/{theme}"


def forms(page: str, action: str) -> list[str]:
    """The targets of the page's forms posting to /<action>/…, as the browser resolves
    them from a theme's page (/space/{token}/themes/{id})."""
    return ["/" + p for p in re.findall(rf'action="\.\./\.\./\.\./({action}/[^"]+)"', page)]


def in_library(stack: LocalStack, author: str, theme: str = "demo-1") -> bool:
    item = dynamodb_item(stack, f"THEME#{theme}", f"ANSWER#{member_id(author)}")
    return item.get("GSI3PK", {}).get("S") == "LIBRARY"


def library_page(stack: LocalStack, address: str, query: str = "") -> str:
    path = f"{space_of(stack, address)}/library" + (f"?q={query}" if query else "")
    status, _, page = get(stack, path)
    assert status == 200
    return page


# ---------------------------------------------------------------------------- a theme's page
def test_a_theme_shows_my_answer_and_the_answers_i_may_read_most_useful_first(
    org: LocalStack,
) -> None:
    answered(
        org,
        (LEA, "Un tour de table."),
        (HUGO, "Un café <script>alert(1)</script> debout."),
        (LUCAS, "Une rétro."),
        (MANON, PRACTICE),  # Éclaireurs, shared with everyone below
        (INES, "Réservé aux Éclaireurs."),
    )
    answer(org, MANON, PRACTICE, visibility="organisation")  # an edit: shared now
    vote(org, author=LUCAS, voter=HUGO)
    org.drain()

    status, headers, page = get(org, theme_page(org, LEA))
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "Nos rituels d&#39;équipe" in page
    assert "Un tour de table." in page  # mine
    assert "Un café &lt;script&gt;alert(1)&lt;/script&gt; debout." in page
    assert "<script>" not in page
    assert unescape(PRACTICE) not in page
    assert "&lt;b&gt;sans&lt;/b&gt;" in page
    assert "Réservé aux Éclaireurs." not in page  # another circle's, kept for it
    # most useful first: Lucas's (one vote) before the others
    assert page.index("Une rétro.") < page.index("Un café")
    # each answer but hers has its "useful" button, a POST to its own vote link
    assert len(forms(page, "vote")) == 3
    assert forms(page, "star") == []  # Léa is no admin


def test_give_to_get_until_i_have_answered_then_everything(org: LocalStack) -> None:
    answered(org, (HUGO, "Un café debout."), (LUCAS, "Une rétro."))
    page = get(org, theme_page(org, LEA))[2]
    assert "Un café debout." not in page
    assert "Une rétro." not in page
    assert "2 collègues ont répondu" in page
    assert "Répondre" in page

    answered(org, (LEA, "Un tour de table."))
    page = get(org, theme_page(org, LEA))[2]
    assert "Un café debout." in page
    assert "Une rétro." in page


def test_an_organisation_can_turn_give_to_get_off(aws: None) -> None:
    org = demo_organisation(make_stack(GiveToGet="off"))
    answered(org, (HUGO, "Un café debout."))
    page = get(org, theme_page(org, LEA))[2]
    assert "Un café debout." in page  # before Léa has answered
    # and on the home too
    assert "Un café debout." in get(org, space_of(org, LEA))[2]


def test_voting_from_a_theme_counts_once_and_leads_back_to_it(org: LocalStack) -> None:
    answered(org, (LEA, "Un tour de table."), (HUGO, "Un café debout."))
    page = get(org, theme_page(org, LEA))[2]
    [hugo] = forms(page, "vote")
    status, _, confirm = post(org, hugo)
    assert status == 200
    assert "Merci\u00a0: votre vote est compté." in confirm
    assert "/themes/demo-1" in confirm  # back to the theme
    assert "déjà" in post(org, hugo)[2]  # once
    org.drain()
    assert "1 vote" in get(org, theme_page(org, LEA))[2]


def test_the_theme_page_costs_two_requests_and_writes_nothing(org: LocalStack) -> None:
    answered(org, (LEA, "Un tour de table."), (HUGO, "Un café debout."))
    calls, page = requests(org, theme_page(org, LEA))
    assert "Un café debout." in page
    assert calls == Counter({"BatchGetItem": 1, "Query": 1})


def test_a_theme_not_mine_to_read_is_the_plain_404(org: LocalStack) -> None:
    space = space_of(org, LEA)
    later = org.clock() + timedelta(days=3)
    keys = signer(org)
    for path in (
        f"{space}/themes/demo-2",  # next week's theme: not sent yet
        f"{space}/themes/nope",
        f"{space}/themes/..%2Fhistory",
        f"{space}/themes/{'x' * 65}",
        "/space/" + keys.sign(Purpose.ANSWER, ["demo-1", member_id(LEA)], later) + "/themes/demo-1",
    ):
        status, _, page = get(org, path)
        assert status == 404, path
        assert "Ce lien n'est pas valide ou a expiré." in page


def test_an_observer_reads_only_what_is_shared_with_everyone(org: LocalStack) -> None:
    answered(org, (HUGO, "Un café debout."), (MANON, PRACTICE))
    answer(org, MANON, PRACTICE, visibility="organisation")
    org.drain()
    token = signer(org).sign(Purpose.SPACE, [member_id(OBSERVER)], org.clock() + timedelta(days=3))
    # the theme went out on Tuesday: the day after, a member of the roster may read it
    org.advance_to(org.clock() + timedelta(days=1))
    status, _, page = get(org, f"/space/{token}/themes/demo-1")
    assert status == 200
    assert "&lt;b&gt;sans&lt;/b&gt;" in page
    assert "Un café debout." not in page


# ---------------------------------------------------------------------------- the library
def shared_by_manon(org: LocalStack) -> None:
    answered(org, (MANON, PRACTICE))
    answer(org, MANON, PRACTICE, visibility="organisation")
    org.drain()


def test_an_answer_enters_at_three_votes_from_two_circles(org: LocalStack) -> None:
    shared_by_manon(org)
    for voter in (HUGO, LEA, LUCAS):  # three votes, all Bâtisseurs
        vote(org, author=MANON, voter=voter)
    org.drain()
    assert not in_library(org, MANON)
    assert "La bibliothèque est vide" in library_page(org, EMMA)

    vote(org, author=MANON, voter=EMMA)  # a Passeuse: two circles
    org.drain()
    assert in_library(org, MANON)
    page = library_page(org, EMMA)
    assert "&lt;b&gt;sans&lt;/b&gt;" in page
    assert "<b>sans" not in page
    assert "animation d&#39;équipe" in page  # grouped by the theme's competency
    assert "4 votes" in page
    entered = datetime.fromisoformat(
        dynamodb_item(org, "THEME#demo-1", f"ANSWER#{member_id(MANON)}")["library_at"]["S"]
    )
    assert entered.date() == date(2026, 12, 1)  # the first of a month: French writes 1er
    assert "gardée le 1er décembre 2026" in page
    # and the home says what is new in the library, still in three requests
    calls, home = requests(org, space_of(org, EMMA))
    assert "Nouveau dans la bibliothèque" in home
    assert "Nos rituels d&#39;équipe" in home.split("Nouveau dans la bibliothèque")[1]
    # (Emma has not answered: her circle's answers are not even read)
    assert calls == Counter({"Query": 1, "BatchGetItem": 1})


def test_an_answer_kept_for_the_circle_never_enters(org: LocalStack) -> None:
    answered(org, (HUGO, "Un café debout."))
    for voter in (LEA, LUCAS, ADMIN):
        vote(org, author=HUGO, voter=voter)
    org.drain()
    assert not in_library(org, HUGO)
    # nor by a star: its link is the plain 404
    token = signer(org).sign(
        Purpose.STAR,
        ["demo-1", member_id(HUGO), member_id(ADMIN)],
        org.clock() + timedelta(days=3),
    )
    assert get(org, f"/star/{token}")[0] == 404
    assert post(org, f"/star/{token}", action="add")[0] == 404
    assert not in_library(org, HUGO)


def test_narrowing_an_answer_takes_it_out_of_the_library(org: LocalStack) -> None:
    shared_by_manon(org)
    for voter in (HUGO, LEA, EMMA):
        vote(org, author=MANON, voter=voter)
    org.drain()
    assert in_library(org, MANON)

    answer(org, MANON, PRACTICE, visibility="circle")
    org.drain()
    assert not in_library(org, MANON)
    assert "&lt;b&gt;sans" not in library_page(org, EMMA)


def star_forms(org: LocalStack) -> list[str]:
    return forms(get(org, theme_page(org, ADMIN))[2], "star")


def test_an_admin_stars_from_a_theme_and_a_scanner_changes_nothing(org: LocalStack) -> None:
    shared_by_manon(org)
    answered(org, (ADMIN, "Je fais un tour de table."))
    [star] = star_forms(org)  # Manon's, the one shared with everyone

    status, headers, page = get(org, star)  # a mail scanner, or the admin's first click
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    assert "Ajouter à la bibliothèque" in page
    assert not in_library(org, MANON)

    status, _, page = post(org, star, action="add")
    assert status == 200
    assert "Gardée dans la bibliothèque" in page
    assert in_library(org, MANON)
    assert "&lt;b&gt;sans&lt;/b&gt;" in library_page(org, LEA)
    assert "déjà" in post(org, star, action="add")[2]
    assert post(org, star, action="explode")[0] == 400


def test_an_entry_an_admin_removed_does_not_come_back_by_votes(org: LocalStack) -> None:
    shared_by_manon(org)
    answered(org, (ADMIN, "Je fais un tour de table."))
    [star] = star_forms(org)
    post(org, star, action="add")
    status, _, page = post(org, star, action="remove")
    assert status == 200
    assert "Retirée de la bibliothèque" in page
    assert not in_library(org, MANON)

    for voter in (HUGO, LEA, EMMA, LUCAS):
        vote(org, author=MANON, voter=voter)
    org.drain()
    assert not in_library(org, MANON)
    post(org, star, action="add")  # an admin may bring it back
    assert in_library(org, MANON)


def test_a_star_link_dies_with_its_admins_role(org: LocalStack) -> None:
    shared_by_manon(org)
    answered(org, (ADMIN, "Je fais un tour de table."))
    [star] = star_forms(org)
    roster = demo.roster().replace(
        b"Martin;B\xc3\xa2tisseurs;Op\xc3\xa9rations;fr;Europe/Paris;admin",
        b"Martin;B\xc3\xa2tisseurs;Op\xc3\xa9rations;fr;Europe/Paris;member",
    )
    assert roster != demo.roster()
    assert org.upload("roster", "demo-roster.csv", roster)["ok"]
    assert get(org, star)[0] == 404
    assert post(org, star, action="add")[0] == 404
    assert not in_library(org, MANON)


def test_the_library_filter_ignores_case_and_accents(org: LocalStack) -> None:
    shared_by_manon(org)
    answered(org, (ADMIN, "Je fais un tour de table."))
    [star] = star_forms(org)
    post(org, star, action="add")
    for query in ("METEO", "météo", "debat+vite", "rituels", "animation", "manon"):
        page = library_page(org, LEA, query)
        assert "&lt;b&gt;sans&lt;/b&gt;" in page, query
        assert "1 pratique trouvée" in page
    page = library_page(org, LEA, "visioconférence")
    assert "&lt;b&gt;sans" not in page
    assert "Aucune pratique ne correspond" in page
    # hostile text in the filter comes back escaped
    page = library_page(org, LEA, "%3Cscript%3E")
    assert "<script>" not in page
    assert 'value="&lt;script&gt;"' in page


def entries(page: str) -> list[str]:
    return re.findall(r'<div class="answer-text">([^<]*)</div>', page)


def test_the_library_groups_by_competency_then_theme_most_useful_first(
    org: LocalStack,
) -> None:
    answered(org, (ADMIN, "Je fais un tour de table."))
    for author, said in ((MANON, "Pratique A."), (EMMA, "Pratique B.")):
        answered(org, (author, said))
        answer(org, author, said, visibility="organisation")
    org.drain()
    stars = star_forms(org)
    assert len(stars) == 2
    for star in stars:
        post(org, star, action="add")
    vote(org, author=EMMA, voter=LEA)
    org.drain()
    assert entries(library_page(org, LEA)) == ["Pratique B.", "Pratique A."]


def test_every_bad_star_link_is_the_plain_404(org: LocalStack) -> None:
    shared_by_manon(org)
    keys, later = signer(org), org.clock() + timedelta(days=3)
    ids: dict[str, Any] = {
        "not-an-admin": ["demo-1", member_id(MANON), member_id(LEA)],
        "no-answer": ["demo-1", member_id(HUGO), member_id(ADMIN)],
        "no-theme": ["demo-9", member_id(MANON), member_id(ADMIN)],
        "two-ids": ["demo-1", member_id(MANON)],
    }
    for name, claims in ids.items():
        token = keys.sign(Purpose.STAR, claims, later)
        assert get(org, f"/star/{token}")[0] == 404, name
    vote_token = keys.sign(Purpose.VOTE, ["demo-1", member_id(MANON), member_id(ADMIN)], later)
    assert get(org, f"/star/{vote_token}")[0] == 404


# ---------------------------------------------------------------------------- anonymity
def named_nowhere(page: str, address: str) -> None:
    """Nothing on the page names the author of an anonymous answer."""
    first, last = address.split("@")[0].split(".")
    for clue in (first.capitalize(), last.capitalize(), address, member_id(address)):
        assert clue.lower() not in page.lower(), clue


def test_an_anonymous_answer_in_the_space_names_nobody_and_waits_for_three_answers(
    org: LocalStack,
) -> None:
    secret = "Je demande un retour anonyme chaque mois."
    answered(org, (LEA, "Un tour de table."))
    answer(org, HUGO, secret, "circle", "anonymous")
    org.drain()
    # Léa's theme page and home: hers and Hugo's, two answers to the theme: held back
    assert secret not in get(org, theme_page(org, LEA))[2]
    assert secret not in get(org, space_of(org, LEA))[2]

    # a third answer to the theme, anonymous too: a lone anonymous answer stays back
    answer(org, LUCAS, "Une rétro.", "circle", "anonymous")
    org.drain()
    page = get(org, theme_page(org, LEA))[2]
    assert secret in page
    assert "<strong>Anonyme</strong>" in page
    named_nowhere(page.replace("hugo.bernard", ""), HUGO)  # (the vote links name nobody)
    assert member_id(HUGO) not in page
    home = get(org, space_of(org, LEA))[2]
    assert secret in home
    named_nowhere(home, HUGO)
    # and its "useful" button still counts for its author
    [vote_on_hugo] = forms(page.split(secret)[1].split('<div class="answer">')[0], "vote")
    assert "Merci\u00a0: votre vote est compté." in post(org, vote_on_hugo)[2]
    org.drain()
    assert dynamodb_item(org, "THEME#demo-1", f"ANSWER#{member_id(HUGO)}")["useful"] == {"N": "1"}


def test_an_anonymous_entry_of_the_library_names_nobody_its_admin_included(
    org: LocalStack,
) -> None:
    secret = "Une pratique gardée sans signer."
    answer(org, MANON, secret, "organisation", "anonymous")
    answered(org, (ADMIN, "Je fais un tour de table."))
    assert star_forms(org) == []  # two answers in the admin's view: held back there too
    answered(org, (EMMA, "Pratique B."))
    answer(org, EMMA, "Pratique B.", visibility="organisation")
    answer(org, INES, "Pratique C.", "organisation", "anonymous")  # two anonymous
    org.drain()
    page = get(org, theme_page(org, ADMIN))[2]
    [star] = forms(page.split(secret)[1].split('<div class="answer">')[0], "star")
    assert member_id(MANON) not in star  # the admin's link does not name the author
    status, _, confirm = get(org, star)
    assert status == 200
    named_nowhere(confirm, MANON)
    assert "Une réponse anonyme" in confirm
    post(org, star, action="add")
    assert in_library(org, MANON)
    # alone for its theme in the library: held back there
    assert secret not in library_page(org, LEA)

    for other in star_forms(org):
        post(org, other, action="add")
    page = library_page(org, LEA)
    assert secret in page
    named_nowhere(page, MANON)
    assert "Éclaireurs" not in page.split(secret)[0].rsplit('<div class="answer">', 1)[1]
    # nor does the filter find it by its author's name or circle
    assert secret not in library_page(org, LEA, "manon")
    assert secret not in library_page(org, LEA, "eclaireurs")


# ---------------------------------------------------------------------------- the weekly emails
def test_an_admin_keeps_an_answer_from_the_report_and_the_next_weeks_emails_list_it(
    org: LocalStack,
) -> None:
    answered(org, (MANON, PRACTICE), (EMMA, "Un point annuel <i>léger</i>."))
    for author, said in ((MANON, PRACTICE), (EMMA, "Un point annuel <i>léger</i>.")):
        answer(org, author, said, visibility="organisation")
    answered(org, (LEA, "Réservé aux Bâtisseurs."))
    monday(org)

    [report] = [m for m in sent(org) if m["To"] == ADMIN and "Rapport" in m["Subject"]]
    body = text(report)
    shared = body.split("## Partagées avec toute l'organisation cette semaine")[1].split("##")[0]
    assert french(unescape(PRACTICE)) in shared  # as French readers read it
    assert "Réservé aux Bâtisseurs." not in shared  # kept for its circle: never offered
    [star] = re.findall(
        r"Garder dans la bibliothèque\s?: https://\S+?(/star/\S+)",
        shared.split(french(unescape(PRACTICE)))[1],
    )[:1]
    assert star in report.get_body(("html",)).get_content()
    assert get(org, star)[0] == 200  # a scanner's GET
    assert not in_library(org, MANON)
    assert "Gardée dans la bibliothèque" in post(org, star, action="add")[2]

    # The next Monday, the readers' digests and the report list it as new in the library
    org.advance_to(MONDAY + timedelta(days=7) - timedelta(minutes=5))
    second = digest_on(org, MONDAY + timedelta(days=7))
    readers = [m for to, m in second.items() if not to.startswith("report:")]
    assert readers  # (those with something to read that week)
    for message in (readers[0], second[f"report:{ADMIN}"]):
        new = text(message).split("## Nouveau dans la bibliothèque")[1].split("##")[0]
        assert "Nos rituels d'équipe" in new
        assert unescape(PRACTICE)[:60] in new
        html = message.get_body(("html",)).get_content()
        assert "&lt;b&gt;sans&lt;/b&gt;" in html
        assert "<b>sans" not in html
    # and the admins' exports carry the library, as a CSV and a printable page
    [row] = export(org, "2026-W50", "library")[1:]
    assert row[:4] == [
        "animation d'équipe",
        "demo-1",
        "Nos rituels d'équipe",
        "Manon P. · Éclaireurs",
    ]
    assert row[-1] == unescape(PRACTICE)
    page = (
        org.client("s3")
        .get_object(Bucket=org.uploads_bucket("roster"), Key="exports/2026-W50/library.html")[
            "Body"
        ]
        .read()
        .decode()
    )
    assert "&lt;b&gt;sans&lt;/b&gt;" in page
    assert "<b>sans" not in page
    assert "<style>" in page  # self-contained: its style inline, nothing fetched
    assert 'src="http' not in page
    assert 'href="http' not in page


def test_a_closed_answer_page_leads_to_the_theme_in_the_space(org: LocalStack) -> None:
    answered(org, (LEA, "Un tour de table."), (HUGO, "Un café debout."))
    org.clock.move_to(MONDAY + timedelta(days=2))  # demo-1 closed on Tuesday the 8th
    status, _, page = get(org, link_of(org, LEA))
    assert status == 200
    [theme] = re.findall(r'href="\.\./(space/[^"]+/themes/demo-1)"', page)
    status, _, page = get(org, "/" + theme)
    assert status == 200
    assert "Un café debout." in page


def test_the_digest_ranks_each_member_by_points_and_the_space_shows_it(org: LocalStack) -> None:
    answered(org, (LEA, "Un tour de table."), (HUGO, "Un café debout."))
    vote(org, author=LEA, voter=HUGO)  # Léa 17 points, Hugo 15, the others none
    org.drain()
    monday(org)

    # 19 members take part (the observer does not); those without points share a place
    places = {LEA: 1, HUGO: 2, LUCAS: 3, EMMA: 3}
    for address, place in places.items():
        score = dynamodb_item(org, f"MEMBER#{member_id(address)}", "SCORE")
        assert (score["rank"], score["ranked_of"]) == ({"N": str(place)}, {"N": "19"})
    assert "Votre rang aux points\u00a0: 1 sur 19." in text(digest_of(org, LEA))
    home = get(org, space_of(org, HUGO))[2]
    assert "Votre rang aux points\u00a0: 2 sur 19." in home
    assert "Rang de votre cercle au dernier bilan\u00a0:" in home
    assert dynamodb_item(org, f"MEMBER#{member_id(OBSERVER)}", "SCORE") == {}  # not ranked


def test_a_calendar_question_is_read_by_the_roster_as_any_calendar_theme(
    org: LocalStack,
) -> None:
    # demo-2, the calendar's theme of kind "question", goes to Bâtisseurs and Éclaireurs
    org.advance_to(MONDAY + timedelta(days=2))  # sent on Tuesday the 8th
    token = signer(org).sign(Purpose.SPACE, [member_id(EMMA)], org.clock() + timedelta(days=3))
    status, _, page = get(org, f"/space/{token}/themes/demo-2")  # Emma, a Passeuse
    assert status == 200
    assert "Installer la confiance" in page


def test_the_library_shows_each_reader_a_themes_title_in_their_language(
    stack: LocalStack,
) -> None:
    """Given the first theme in French and English and Manon's answer to it in the
    library, when Sarah (English) and Emma (French) open the library and their space's
    home, then each reads the title in their own language, its lang marked."""
    from tests.functional.conftest import PARIS_MORNING, tick
    from tests.functional.test_dispatch import SARAH
    from tests.functional.test_mail_corpus import ENGLISH_TITLE, bilingual_calendar

    stack.upload("roster", "demo-roster.csv", demo.roster())
    assert stack.upload("calendar", "demo-calendar.yaml", bilingual_calendar(stack))["ok"]
    tick(stack, PARIS_MORNING)
    stack.drain()
    shared_by_manon(stack)
    for voter in (HUGO, LEA, EMMA):
        vote(stack, author=MANON, voter=voter)
    stack.drain()
    assert in_library(stack, MANON)

    def page(address: str, path: str = "") -> str:
        later = stack.clock() + timedelta(days=30)
        token = signer(stack).sign(Purpose.SPACE, [member_id(address)], later)
        status, _, shown = get(stack, f"/space/{token}{path}")
        assert status == 200
        return shown

    french = '<h3 lang="fr">Nos rituels d&#39;équipe</h3>'
    assert f'<h3 lang="en">{ENGLISH_TITLE}</h3>' in page(SARAH, "/library")
    assert french in page(EMMA, "/library")
    assert french in page(EMMA, "/library?q=rituals")  # found in either language
    home = page(SARAH).split("New in the library")[1]
    assert re.search(rf'<a href="[^"]+/library" lang="en">{ENGLISH_TITLE}</a>', home)
    home = page(EMMA).split("Nouveau dans la bibliothèque")[1]
    assert re.search(r'<a href="[^"]+/library" lang="fr">Nos rituels d&#39;équipe</a>', home)
