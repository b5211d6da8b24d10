"""Hostile training requests: each is refused before anything runs, with the CLI's one-line
message (and the key as a JSON pointer where there is one); no sweep is started."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from railyard_batch.config.validate import SPLIT_STRATEGIES
from tests.service.conftest import Service


def started(service: Service) -> int:
    conn = sqlite3.connect(service.project.root / "runs" / "railyard.db")
    try:
        return int(conn.execute("SELECT COUNT(*) FROM service_trainings").fetchone()[0])
    finally:
        conn.close()


def refused(service: Service, body: object, status: int = 422) -> dict[str, object]:
    before = started(service)
    got = service.client("trainer").post("/v1/trainings", json=body)
    assert got.status_code == status, got.text
    problem: dict[str, object] = got.json()
    assert isinstance(problem["detail"], str) and "\n" not in problem["detail"], problem
    assert started(service) == before
    return problem


CASES = [
    # (overrides, config document, start of the line, JSON pointer)
    (
        ["split.seed=${oc.env:HOME}"],
        None,
        "ConfigError: The 'split.seed' override may not call a resolver",
        "/split/seed",
    ),
    (
        ["params.x=${oc.decode:'1'}"],
        None,
        "ConfigError: The 'params.x' override may not call a resolver",
        "/params/x",
    ),
    (
        [],
        {"split": {"strategy": "${oc.env:HOME}"}},
        "ConfigError: The 'split.strategy' override may not call a resolver",
        "/split/strategy",
    ),
    (
        ["estimator._target_=os.system"],
        None,
        "ConfigError: The 'estimator._target_' parameter must name an object in one of the modules of 'targets.allowed_modules'",
        "/estimator/_target_",
    ),
    (
        ["estimator=xgboost", "estimator.n_estimators=0"],
        None,
        "ConfigError: The 'estimator.n_estimators' parameter",
        "/estimator/n_estimators",
    ),
    (
        ["fanout.min_rowz=3"],
        None,
        "ConfigError: Unknown config key 'fanout.min_rowz'; did you mean 'fanout.min_rows'?",
        "/fanout/min_rowz",
    ),
    (
        [],
        {"fanout": {"min_rowz": 3}},
        "ConfigError: Unknown config key 'fanout.min_rowz'",
        "/fanout/min_rowz",
    ),
    (
        ["split.strategy=rnd"],
        None,
        "ConfigError: The 'split.strategy' parameter must be one of",
        "/split/strategy",
    ),
    (
        [],
        {"split": {"strategy": "C:\\"}},  # a backslash before the closing quote
        "ConfigError: The 'split.strategy' parameter must be one of",
        "/split/strategy",
    ),
    (
        ["hydra.callbacks.x._target_=os.system"],
        None,
        "ConfigError: The 'hydra.callbacks.x._target_' key is set by the service",
        "/hydra/callbacks/x/_target_",
    ),
    (
        ["store.url=sqlite:////etc/x.db"],
        None,
        "ConfigError: The 'store.url' key is set by the service",
        "/store/url",
    ),
    (
        ["execution.sweep_id=20990101-000000-abcdef"],
        None,
        "ConfigError: The 'execution.sweep_id' key is set by the service",
        "/execution/sweep_id",
    ),
    (["--config-dir=/tmp"], None, "ConfigError: overrides are key=value, never a flag", None),
    (
        ["targets.allowed_modules=[os]", "estimator._target_=os.system"],
        None,
        "ConfigError: The 'targets.allowed_modules' key is set by the service",
        "/targets/allowed_modules",
    ),
    (
        [],
        {"targets": {"allowed_modules": ["os"]}},
        "ConfigError: The 'targets.allowed_modules' key is set by the service",
        "/targets/allowed_modules",
    ),
    ([], {"bad key": 1}, "ConfigError: a config key must be a name", None),
    (
        ["estimator=0"],
        None,
        "ConfigError: The 'estimator' config group takes an option name (one of: ",
        "/estimator",
    ),
    (
        ["estimator=null"],
        None,
        "ConfigError: The 'estimator' config group takes an option name (one of: ",
        "/estimator",
    ),
]


@pytest.mark.parametrize(("overrides", "document", "line", "pointer"), CASES)
def test_a_hostile_config_is_422_with_one_line_and_the_key(
    service: Service,
    overrides: list[str],
    document: dict[str, object] | None,
    line: str,
    pointer: str | None,
) -> None:
    body = {"experiment": "fraud_v3", "overrides": overrides, "config": document}
    problem = refused(service, body)
    assert str(problem["detail"]).startswith(line), problem
    assert problem["pointer"] == pointer


def test_unknown_body_keys_and_bad_experiments_are_422(service: Service) -> None:
    problem = refused(service, {"experiment": "fraud_v3", "overides": []})
    assert problem == {
        "detail": "ConfigError: unknown key 'overides' in the request body",
        "pointer": "/overides",
    }
    for name in ("../../etc", "fraud v3", ""):
        assert refused(service, {"experiment": name})["pointer"] == "/experiment"
    numeric = refused(service, {"experiment": "0"})  # Hydra reads 0 as an int
    assert str(numeric["detail"]).startswith(
        "ConfigError: The 'experiment' config group takes an option name (one of: fraud_v3)"
    ), numeric
    assert numeric["pointer"] == "/experiment"
    missing = refused(service, {"experiment": "nope"})
    assert "nope" in str(missing["detail"])
    one = refused(
        service, {"experiment": "fraud_v3", "overrides": ["estimator=a,b"], "multirun": False}
    )
    assert str(one["detail"]).startswith("ConfigError: sweep overrides need 'multirun': true")


def test_a_huge_body_is_413_announced_or_streamed(service: Service) -> None:
    huge = {"experiment": "fraud_v3", "overrides": ["params.x=" + "a" * 300_000]}
    problem = refused(service, huge, status=413)
    assert str(problem["detail"]).startswith("RequestTooLarge: ")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"experiment": "fraud_v3", "overrides": ["params.x='
        for _ in range(100):
            yield b"a" * 10_000
        yield b'"]}'

    before = started(service)
    got = httpx.post(
        f"{service.url}/v1/trainings",
        content=chunks(),
        headers={
            "Authorization": f"Bearer {service.tokens['trainer']}",
            "Content-Type": "application/json",
        },
        timeout=60,
    )
    assert got.status_code == 413, got.text
    assert started(service) == before


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(max_size=60).filter(lambda v: v not in SPLIT_STRATEGIES))
def test_any_text_in_a_value_is_refused_on_one_line_and_runs_nothing(
    service: Service, value: str
) -> None:
    body = {"experiment": "fraud_v3", "config": {"split": {"strategy": value}}}
    problem = refused(service, body)
    assert str(problem["detail"]).split(": ", 1)[0] in (
        "ConfigError",
        "GrammarParseError",
        "LexerNoViableAltException",
    )


ESTIMATORS = ("logistic_regression", "random_forest", "random_forest_regressor", "xgboost")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(max_size=40).filter(lambda v: v.strip() not in ESTIMATORS))
def test_any_text_as_a_config_group_option_is_refused_on_one_line(
    service: Service, value: str
) -> None:
    body = {"experiment": "fraud_v3", "overrides": [f"estimator={value}"], "multirun": False}
    problem = refused(service, body)
    assert str(problem["detail"]).split(": ", 1)[0] in (
        "ConfigError",
        "MissingConfigException",
        "OverrideParseException",
        "GrammarParseError",
        "LexerNoViableAltException",
        "ConfigCompositionException",
    ), problem


@settings(max_examples=500, deadline=None)
@given(
    value=st.text(alphabet=st.sampled_from(list("\\'\"a ${}\n,=[]")), max_size=12)
    | st.text(max_size=40)
)
def test_a_string_value_reads_back_from_the_override_exactly(value: str) -> None:
    # A JSON string becomes a quoted override value; Hydra's parser must read back the same
    # text (a backslash before the closing quote once escaped it: '\\' did not parse).
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from railyard_batch.service.submit import quoted

    parsed = OverridesParser.create().parse_override(f"split.strategy={quoted(value)}")
    assert parsed.value() == value
