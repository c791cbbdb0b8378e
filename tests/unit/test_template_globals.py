"""The shared Logger and Metrics take the service and namespace from the template's Globals."""

from palabre_cli.template import load_source


def test_shared_metrics_and_logger_use_the_globals_of_the_template() -> None:
    from palabre.observability import logger, metrics

    variables = load_source()["Globals"]["Function"]["Environment"]["Variables"]
    assert metrics.namespace == variables["POWERTOOLS_METRICS_NAMESPACE"]
    assert logger.service == variables["POWERTOOLS_SERVICE_NAME"]
