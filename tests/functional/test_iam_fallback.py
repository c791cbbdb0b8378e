"""Least privilege where it changes what the code sees: a partition the link function
does not own, and S3's 403 for a missing digest edition without s3:ListBucket. (Apart from
test_iam.py: its stack is shared by the module, these need their own.)"""

from typing import Any

import pytest

import palabre.aws
from palabre.digest.editions import edition_key
from sam_moto.stack import LocalStack
from tests.functional.conftest import sent, table_items
from tests.functional.test_digest import JADE, MONDAY
from tests.functional.test_iam import acting_as, bucket, delete, put, queue, refused, table, without


def test_the_link_function_writes_only_the_partitions_it_owns(stack: LocalStack) -> None:
    # Its own partitions: allowed
    with acting_as(stack, "PersonalLinksFunction"):
        put("MEMBER#m")(stack)
        delete("THEME#t")(stack)

    # One request naming its own partition and another: refused as a whole
    def both(stack: LocalStack) -> Any:
        return palabre.aws.client("dynamodb").batch_get_item(
            RequestItems={
                table(stack): {
                    "Keys": [
                        {"PK": {"S": "MEMBER#m"}, "SK": {"S": "X"}},
                        {"PK": {"S": "DIGEST#w"}, "SK": {"S": "X"}},
                    ]
                }
            }
        )

    assert "dynamodb:LeadingKeys=['DIGEST#w', 'MEMBER#m']" in refused(
        stack, "PersonalLinksFunction", both
    )
    assert [i["PK"]["S"] for i in table_items(stack)] == ["MEMBER#m"]


def passeurs_edition_gone(org: LocalStack) -> None:
    """The week's digest is built and queued, but Passeurs has no edition (as for a reader
    who moved to a circle after the digest was built)."""
    org.clock.move_to(MONDAY)
    invocation = org.runtime.invoke("WeeklyDigestFunction", {"time": "2026-12-07T07:00:00Z"})
    assert invocation.error is None, invocation.error
    s3 = org.client("s3")
    suffix = edition_key("week", "Passeurs").rpartition("/")[2]
    listed = s3.list_objects_v2(Bucket=bucket(org), Prefix="digests/")["Contents"]
    [key] = [o["Key"] for o in listed if o["Key"].endswith(suffix)]
    s3.delete_object(Bucket=bucket(org), Key=key)
    org.clear_mail()


def test_a_reader_without_their_circles_edition_gets_the_organisations(org: LocalStack) -> None:
    passeurs_edition_gone(org)

    org.drain()

    assert [m for m in sent(org) if m["To"] == JADE]


def test_without_list_bucket_the_fallback_never_runs(
    org: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the sender's role without s3:ListBucket, as it was deployed
    function = org.provisioned.functions["SendEmailFunction"]
    monkeypatch.setattr(function, "policy", without(function.policy, "s3:ListBucket"))
    passeurs_edition_gone(org)

    org.drain()

    # S3 says 403 for the missing edition: the digest job fails (back to the queue, then
    # its dead-letter queue) instead of falling back
    assert not [m for m in sent(org) if m["To"] == JADE]
    attributes = org.client("sqs").get_queue_attributes(
        QueueUrl=queue(org, "SendQueue"), AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert int(attributes["ApproximateNumberOfMessagesNotVisible"]) >= 1
