"""The shared Logger and Metrics take the service and namespace from the template's Globals."""

from palabre_cli.template import globals_environment, load_source


def test_shared_metrics_and_logger_use_the_globals_of_the_template() -> None:
    from palabre.observability import logger, metrics

    variables = globals_environment(load_source())
    assert metrics.namespace == variables["POWERTOOLS_METRICS_NAMESPACE"]
    assert logger.service == variables["POWERTOOLS_SERVICE_NAME"]
