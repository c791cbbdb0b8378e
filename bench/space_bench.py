"""The member's space: one home page (`GET /space/{token}`) of a member with 52 weeks of
history, in an organisation of 2,000 members, through the real personal_links handler on
in-process moto: its DynamoDB requests, and its CPU time; and one theme page's requests.
Measured on the digest bench's year of history, once its Monday digest is out
(digest_bench.digest_read_cost's `then`), with 1,900 more members in circles of their
own."""

import json
import statistics
import time
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bench.digest_bench import CIRCLES, PER_CIRCLE, _members

if TYPE_CHECKING:
    from palabre.core.models import Member
    from sam_moto.stack import LocalStack

ORGANISATION = 2_000
RUNS = 40
GOALS = {"requests": 3, "cpu_ms": 30.0, "theme_requests": 2}
THEME = "week-51"
"""the theme page measured: the last theme of the year's history"""


def measure(stack: "LocalStack", members: "list[Member]") -> dict[str, Any]:
    """{"requests": DynamoDB requests of one home page, "by_operation", "cpu_ms": median
    CPU time of one, "members"}, for the first of `members`."""
    from moto.dynamodb.models import dynamodb_backends

    import palabre.aws
    from palabre.core.tokens import Purpose, Signer, keys_from_secret
    from palabre.store.members import member_item
    from palabre.store.table import to_dynamo
    from palabre_cli.local import REGION
    from sam_moto.provision import ACCOUNT

    others = _members(range(CIRCLES, ORGANISATION // PER_CIRCLE), prefix="o")
    table = dynamodb_backends[ACCOUNT][REGION].get_table(stack.provisioned.tables["PalabreTable"])
    for item in map(member_item, others):
        table.put_item(to_dynamo(item))
    secret = stack.client("secretsmanager").get_secret_value(
        SecretId=stack.provisioned.physical["LinkSigningSecret"]
    )
    signer = Signer(keys_from_secret(json.loads(secret["SecretString"])))
    token = signer.sign(Purpose.SPACE, [members[0].id], stack.clock() + timedelta(days=30))

    requests: Counter[str] = Counter()
    palabre.aws.client("dynamodb").meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: requests.update([model.name])
    )
    samples = []
    for run in range(RUNS + 1):
        requests.clear()
        started = time.process_time()
        status, _, page = stack.api(
            method="GET", path=f"/space/{token}", query="", headers={}, body=b""
        )
        if run:  # the first one warms the container (imports, keys)
            samples.append(time.process_time() - started)
        if status != 200 or "Ouverts pour vous" not in page.decode():
            error = stack.runtime.history[-1].error
            raise RuntimeError(f"the space answered {status}: {error}")
    home = dict(requests)
    requests.clear()
    status, _, page = stack.api(
        method="GET", path=f"/space/{token}/themes/{THEME}", query="", headers={}, body=b""
    )
    if status != 200 or ">Thème 51</h1>" not in page.decode():
        raise RuntimeError(f"the theme page answered {status}: {stack.runtime.history[-1].error}")
    return {
        "requests": sum(home.values()),
        "by_operation": home,
        "cpu_ms": statistics.median(samples) * 1000,
        "members": len(members) + len(others),
        "theme_requests": sum(requests.values()),
        "theme_by_operation": dict(requests),
    }
