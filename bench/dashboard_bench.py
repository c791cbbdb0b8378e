"""The admins' dashboard (`GET /admin/{token}`): one view through the real admin_space
handler on in-process moto, on the space bench's stack (the digest bench's year of
history, 2,000 members): its DynamoDB requests, and its CPU time. The last twelve weeks'
tallies are counted from their themes' records first (as `palabre tally rebuild` does:
the history is written without the score stream)."""

import json
import statistics
import time
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from bench.machine import own_process

if TYPE_CHECKING:
    from palabre.core.models import Member
    from sam_moto.stack import LocalStack

RUNS = 10
GOALS = {"requests": 8, "cpu_ms": 100.0}
"""the admin, the sending pause (every page of the space shows it), the directory, the
calendar, the tallies, two standings, the open theme"""


def measure(stack: "LocalStack", members: "list[Member]") -> dict[str, Any]:
    from moto.dynamodb.models import dynamodb_backends

    import palabre.aws
    from palabre.core.links import Links
    from palabre.core.models import Role
    from palabre.core.tokens import Signer, keys_from_secret
    from palabre.store.members import member_item
    from palabre.store.table import DynamoTable, to_dynamo
    from palabre.store.tallies import TallyStore, rebuild_closed
    from palabre_cli.local import REGION
    from sam_moto.provision import ACCOUNT

    admin = members[0].model_copy(update={"role": Role.ADMIN})
    name = stack.provisioned.tables["PalabreTable"]
    dynamodb_backends[ACCOUNT][REGION].get_table(name).put_item(to_dynamo(member_item(admin)))
    table = DynamoTable(palabre.aws.client("dynamodb"), name)
    rebuilt, still_open = rebuild_closed(table, stack.clock(), 12, "Europe/Paris")
    # ... and the open ones' too, so that the view reads their silent prompts (their
    # index, written with the history) as it does in production, not their records
    for theme_id in still_open:
        TallyStore(table).rebuild(theme_id, stack.clock())
    secret = stack.client("secretsmanager").get_secret_value(
        SecretId=stack.provisioned.physical["LinkSigningSecret"]
    )
    signer = Signer(keys_from_secret(json.loads(secret["SecretString"])))
    path = urlparse(Links("https://palabre.example", signer).admin(admin.id, stack.clock())).path

    requests: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        requests.update([model.name])

    silent_read: list[str] = []

    def queried(params: dict[str, Any], **_: Any) -> None:
        silent_read.append(params["ExpressionAttributeValues"][":pk"]["S"])

    events = palabre.aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb.*", count)
    events.register("provide-client-params.dynamodb.Query", queried)
    samples = []
    try:
        with own_process():
            for run in range(RUNS + 1):
                requests.clear()
                started = time.process_time()
                status, _, page = stack.api(method="GET", path=path, query="", headers={}, body=b"")
                if run:  # the first one warms the container (imports, keys)
                    samples.append(time.process_time() - started)
                if status != 200 or "<svg" not in page.decode():
                    error = stack.runtime.history[-1].error
                    raise RuntimeError(f"the dashboard answered {status}: {error}")
    finally:
        events.unregister("before-call.dynamodb.*", count)
        events.unregister("provide-client-params.dynamodb.Query", queried)
    if any(p.startswith("THEME#") for p in silent_read):
        raise RuntimeError("the dashboard read an open theme's records, not its silent prompts")
    return {
        "requests": sum(requests.values()),
        "by_operation": dict(requests),
        "cpu_ms": statistics.median(samples) * 1000,
        "themes_counted": len(rebuilt) + len(still_open),
        "kilobytes": len(page) / 1000,
    }
