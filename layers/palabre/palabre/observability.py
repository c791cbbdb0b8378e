"""Logger and metrics shared by every function (service and namespace come from Globals)."""

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
