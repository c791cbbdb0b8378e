"""S3 ObjectCreated under roster/ or calendar/ -> import, report beside it, email the admin."""

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from palabre.core import clock
from palabre.observability import logger, metrics, tracer
from palabre.wiring import upload_handler


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    from palabre.config import ImportSettings  # pydantic's: the first call's, not the cold start's

    uploads = upload_handler(ImportSettings.from_env())
    reports = {}
    for record in event.records:
        key = unquote_plus(record.s3.get_object.key)
        report = uploads.handle(key, record.s3.get_object.size, clock.now())
        if report is None:  # a report written beside an upload, or another prefix
            metrics.add_metric(name="UploadsIgnored", unit=MetricUnit.Count, value=1)
            continue
        metrics.add_metric(
            name="ImportAccepted" if report.ok else "ImportRejected",
            unit=MetricUnit.Count,
            value=1,
        )
        reports[key] = report.model_dump()
    return {"reports": reports}
