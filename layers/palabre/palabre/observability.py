"""Logger, metrics and tracer shared by every function (service and namespace come from
Globals). The tracer sends X-Ray segments when the function's Tracing is Active; the local
stack and the tests turn it off (POWERTOOLS_TRACE_DISABLED). Its cost: importing
aws_xray_sdk, about 0.3 s of each cold start."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()
tracer = Tracer()
