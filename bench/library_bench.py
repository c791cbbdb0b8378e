"""The library page (`GET /space/{token}/library`) with 500 entries: 500 answers shared
with the organisation over 60 themes of 10 competencies, 200 to 1,500 characters of
accented French each, a few anonymous; the whole page and a filtered one (`?q=` a word
found in a tenth of them), through the real personal_links handler on in-process moto:
their DynamoDB requests, and their CPU time. Measured on the space bench's stack (the
digest bench's year of history and 2,000 members), the entries put straight into moto's
table as the handlers and the library leave them."""

import json
import random
import statistics
import time
from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bench.digest_bench import PARIS
from bench.machine import own_process
from palabre.core.models import Attribution, Audience, Member, Theme, Visibility, group_key
from palabre.store import keys
from palabre.store.library import LIBRARY, entry_sort
from palabre.store.themes import theme_item

if TYPE_CHECKING:
    from sam_moto.stack import LocalStack

ENTRIES = 500
THEMES = 60
COMPETENCIES = [
    "Animer une réunion",
    "Décider à plusieurs",
    "Donner du feedback",
    "Gérer les priorités",
    "Intégrer un arrivant",
    "Négocier",
    "Prévenir l'épuisement",
    "Sécurité psychologique",
    "Télétravail",
    "Déléguer",
]
ANONYMOUS_EVERY = 5
"""themes of which the first two answers are anonymous (a view shows anonymous answers
to a theme two at least: core.attribution)"""
FILTER = "retrospective"
"""the filter measured, typed without its accent: found in a tenth of the entries"""
FILTERED = 0.1
RUNS = 10
GOALS = {"cpu_ms": 50.0}
PAGE_BYTES = 1_000_000
"""a Query page, at most"""
BATCH_GET = 100
"""keys per BatchGetItem"""
FIRST_DAY = date(2026, 1, 6)

_SENTENCES = [
    "Nous avons commencé chaque réunion par un tour de météo intérieure, très court.",
    "L'équipe a décidé d'écrire l'ordre du jour ensemble, la veille, dans un document partagé.",
    "J'ai proposé qu'on note les décisions prises à la fin, à voix haute, avec leur échéance.",
    "Ça a été difficile au début : certains trouvaient l'exercice artificiel.",
    "Après trois semaines, même les plus sceptiques réclamaient ce moment d'échange.",
    "Le plus efficace a été de demander « qu'est-ce qui t'aiderait ? » plutôt que de conseiller.",
    "On a réservé une plage sans réunion le jeudi matin : la concentration s'en ressent.",
    "Pour les arrivants, un binôme les accompagne pendant leurs deux premières semaines.",
    "J'ai appris à déléguer le résultat attendu, pas la manière de l'obtenir.",
    "Quand un désaccord persiste, on s'accorde d'abord sur les critères de décision.",
    "Les retours sont plus faciles à entendre quand ils décrivent des faits précis, datés.",
    "Nous affichons les priorités de la semaine au mur, et chacun peut les contester.",
    "En télétravail, une courte visio informelle à 9 h a remplacé la machine à café.",
    "J'ai cessé de répondre aux messages le soir ; l'équipe a suivi, sans qu'on l'impose.",
    "Un tableau « arrêter, commencer, continuer » a fait émerger des idées inattendues.",
    "Nous avons testé le vote par points pour choisir entre des options proches.",
    "Le manager parle en dernier : les idées des plus discrets arrivent enfin sur la table.",
    "Chaque fin de projet donne lieu à un moment de reconnaissance, même modeste.",
    "J'ai préparé les entretiens difficiles en écrivant d'abord ce que je voulais préserver.",
    "La règle des deux pizzas a réduit nos réunions à l'essentiel, et à moins de monde.",
    "Nous écrivons désormais les hypothèses d'un projet pour pouvoir les réviser sereinement.",
    "Les nouveaux venus présentent, au bout d'un mois, ce qui les a étonnés chez nous.",
    "Un créneau de questions anonymes a libéré la parole sur la charge de travail.",
    "On s'est aperçus qu'une réunion sur trois pouvait devenir un message écrit.",
]
_MARKED = "La rétrospective mensuelle, animée à tour de rôle, a changé notre façon d'en parler."


def entries(
    members: list[Member], count: int = ENTRIES, themes: int = THEMES, seed: int = 9
) -> list[dict[str, Any]]:
    """`themes` themes (`len(COMPETENCIES)` competencies, one theme in ten of none) and
    `count` answers to them, each in the library: as the answer API, the score stream and
    the library (store/library.py) leave them."""
    rng = random.Random(seed)
    calendar = [
        Theme(
            id=f"pratique-{n:02d}",
            send_on=FIRST_DAY + timedelta(days=5 * n),
            title=f"Pratique n° {n} : qu'avez-vous essayé cette fois-ci ?",
            prompt="Racontez une pratique qui a marché, ou échoué.",
            audience=Audience(everyone=True),
            competency="" if n % 10 == 9 else COMPETENCIES[n % len(COMPETENCIES)],
        )
        for n in range(themes)
    ]
    items: list[dict[str, Any]] = [theme_item(t) for t in calendar]
    per_theme = [count // themes + (n < count % themes) for n in range(themes)]
    marked = set(rng.sample(range(count), round(count * FILTERED)))
    n = 0
    for t, (theme, answers) in enumerate(zip(calendar, per_theme, strict=True)):
        sent_at = datetime.combine(theme.send_on, datetime.min.time(), PARIS) + timedelta(hours=9)
        week = "{}-W{:02d}".format(*theme.send_on.isocalendar()[:2])
        for k, author in enumerate(rng.sample(members, answers)):
            # every fifth theme's first two answers anonymous: two, so the page shows them
            anonymous = t % ANONYMOUS_EVERY == 0 and k < 2
            items.append(_answer(theme, author, sent_at, week, n in marked, anonymous, rng))
            n += 1
    return items


def _answer(
    theme: Theme,
    author: Member,
    sent_at: datetime,
    week: str,
    marked: bool,
    anonymous: bool,
    rng: random.Random,
) -> dict[str, Any]:
    # whole sentences, up to 1,500 characters
    length = rng.randint(200, 1_400)
    sentences = [_MARKED] if marked else []
    while sum(len(s) + 1 for s in sentences) < length:
        sentences.append(rng.choice(_SENTENCES))
    rng.shuffle(sentences)
    text = " ".join(sentences)
    named = not anonymous
    written = sent_at + timedelta(hours=rng.randint(1, 100))
    entered = written + timedelta(days=rng.randint(2, 20), minutes=rng.randint(0, 600))
    starred = rng.random() < 0.3
    voters = rng.sample(range(10), rng.randint(0 if starred else 2, 4))
    circle = group_key(author.circle)
    return {
        **keys.answer(theme.id, author.id),
        "type": "answer",
        "theme_id": theme.id,
        "member_id": author.id,
        "text": text,
        "visibility": Visibility.ORGANISATION.value,
        "created_at": written.isoformat(),
        "updated_at": written.isoformat(),
        "version": 1,
        "week": week,
        "points": theme.points,
        "circle": author.circle,
        "team": author.team,
        "first_name": author.first_name if named else "",
        "last_initial": "D" if named else "",
        "attribution": (Attribution.NAMED if named else Attribution.ANONYMOUS).value,
        "useful": len(voters) + rng.randint(0, 3),
        "useful_circles": {group_key(f"Cercle {v:02d}") for v in voters} or None,
        "library_at": entered.isoformat(),
        "library_by": "star" if starred else "votes",
        "starred_by": "admin" if starred else None,
        "GSI1PK": keys.week_partition(week),
        "GSI1SK": f"ANSWER#{circle}#{theme.id}#{author.id}",
        "GSI2PK": keys.circle_partition(author.circle),
        "GSI2SK": f"{keys.answers_of_week(week)}{theme.id}#{author.id}",
        # the library's index, as LibraryStore._enter writes it
        "GSI3PK": LIBRARY,
        "GSI3SK": entry_sort(entered.isoformat(), theme.id, author.id),
    }


def measure(
    stack: "LocalStack",
    members: list[Member],
    count: int = ENTRIES,
    themes: int = THEMES,
    runs: int = RUNS,
) -> dict[str, Any]:
    """What was measured ("entries", "themes", "kilobytes", "characters", "anonymous",
    "expected": the requests a page should make) and, read by the first of `members`,
    "whole" and "filtered" pages, each {"requests", "by_operation", "shown": entries on
    the page, and medians of CPU ms: "cpu_ms" in all, "moto_ms" moto's side of the
    requests, "lambda_ms" the rest}."""
    from moto.dynamodb.models import dynamodb_backends

    import palabre.aws
    from palabre.core.tokens import Purpose, Signer, keys_from_secret
    from palabre.store.table import to_dynamo
    from palabre_cli.local import REGION
    from sam_moto.provision import ACCOUNT

    table = dynamodb_backends[ACCOUNT][REGION].get_table(stack.provisioned.tables["PalabreTable"])
    written = [table.put_item(to_dynamo(item)) for item in entries(members, count, themes)]
    answers = [i for i in written if i.attrs.get("GSI3PK")]
    size = sum(i.size() for i in answers)  # DynamoDB's item size, as moto counts it
    secret = stack.client("secretsmanager").get_secret_value(
        SecretId=stack.provisioned.physical["LinkSigningSecret"]
    )
    signer = Signer(keys_from_secret(json.loads(secret["SecretString"])))
    token = signer.sign(Purpose.SPACE, [members[0].id], stack.clock() + timedelta(days=30))

    requests: Counter[str] = Counter()
    in_moto = _MotoTime()
    events = palabre.aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb.*", lambda model, **_: requests.update([model.name]))
    # moto answers in the before-send handler it registered: from the first before-send
    # handler to before-parse is moto's side of a request, which DynamoDB's servers do
    events.register_first("before-send.dynamodb.*", in_moto.start)
    events.register("before-parse.dynamodb.*", in_moto.stop)
    figures: dict[str, Any] = {
        "entries": len(answers),
        "themes": themes,
        "kilobytes": size / 1000,
        # the reader's profile (their locale), the index a page per MB, the themes
        "expected": 1 + -(-size // PAGE_BYTES) + -(-themes // BATCH_GET),
        "characters": sum(len(i.attrs["text"].value) for i in answers),
        "anonymous": sum(i.attrs["attribution"].value == "anonymous" for i in answers),
    }
    for name, query in (("whole", ""), ("filtered", urlencode({"q": FILTER}))):
        samples, moto_samples = [], []
        with own_process():
            for run in range(runs + 1):
                requests.clear()
                in_moto.seconds = 0.0
                started = time.process_time()
                status, _, page = stack.api(
                    method="GET", path=f"/space/{token}/library", query=query, headers={}, body=b""
                )
                if run:  # the first one warms the container (imports, keys, templates)
                    samples.append(time.process_time() - started)
                    moto_samples.append(in_moto.seconds)
                if status != 200:
                    error = stack.runtime.history[-1].error
                    raise RuntimeError(f"the library answered {status}: {error}")
        figures[name] = {
            "requests": sum(requests.values()),
            "by_operation": dict(requests),
            "cpu_ms": statistics.median(samples) * 1000,
            "moto_ms": statistics.median(moto_samples) * 1000,
            "lambda_ms": statistics.median(
                s - m for s, m in zip(samples, moto_samples, strict=True)
            )
            * 1000,
            "shown": page.decode().count('<div class="answer">'),
        }
    events.unregister("before-send.dynamodb.*", in_moto.start)
    events.unregister("before-parse.dynamodb.*", in_moto.stop)
    return figures


class _MotoTime:
    """CPU time spent in moto, request by request."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def start(self, **_: Any) -> None:
        self._started = time.process_time()

    def stop(self, **_: Any) -> None:
        self.seconds += time.process_time() - self._started


def alone(count: int = ENTRIES, themes: int = THEMES, runs: int = RUNS) -> dict[str, Any]:
    """`measure` on a stack of its own, with the digest bench's 100 members and nothing
    else: to run this section alone, and for the tests."""
    import palabre.aws
    from bench.digest_bench import _members
    from bench.roster_import import in_process_moto
    from palabre.store.members import member_item
    from palabre.store.table import to_dynamo
    from palabre_cli.local import REGION, make_stack
    from sam_moto.clock import LocalClock
    from sam_moto.provision import ACCOUNT

    members = _members()
    with in_process_moto():
        palabre.aws.reset()
        from moto.dynamodb.models import dynamodb_backends

        stack = make_stack(
            endpoint=None,
            clock=LocalClock(datetime(2026, 12, 7, 9, tzinfo=PARIS)),
            log_level="ERROR",
        )
        stack.provisioned.stream_triggers.clear()
        name = stack.provisioned.tables["PalabreTable"]
        table = dynamodb_backends[ACCOUNT][REGION].get_table(name)
        for item in map(member_item, members):
            table.put_item(to_dynamo(item))
        figures = measure(stack, members, count, themes, runs)
        palabre.aws.reset()
    return figures
