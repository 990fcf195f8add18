"""AgentConfig refuses nonsensical limits (table-driven); reconnect delays are exponential with
full jitter, never above the cap, and spread out (35 terminals must not stampede)."""

import random

import pytest

from sync.agent import AgentConfig, backoff_delay
from sync.errors import AgentConfigError

KEY = b"x" * 40

BAD = [
    ("empty endpoint", {"endpoint": ""}),
    ("short server key", {"server_public": b"abc"}),
    ("zero batch", {"batch_max_records": 0}),
    ("huge batch", {"batch_max_records": 5000}),
    ("tiny bytes", {"batch_max_bytes": 10}),
    ("zero window", {"window": 0}),
    ("negative backoff", {"backoff_base_s": -1.0}),
    ("cap below base", {"backoff_base_s": 5.0, "backoff_cap_s": 1.0}),
    ("heartbeat timeout too short", {"heartbeat_interval_s": 5.0, "heartbeat_timeout_s": 5.0}),
]


@pytest.mark.parametrize("overrides", [o for _, o in BAD], ids=[n for n, _ in BAD])
def test_bad_config_is_refused(overrides):
    kw = {"endpoint": "tcp://127.0.0.1:1", "server_public": KEY, **overrides}
    with pytest.raises(AgentConfigError):
        AgentConfig(**kw)


def test_defaults_are_valid():
    config = AgentConfig(endpoint="tcp://127.0.0.1:1", server_public=KEY)
    assert config.window >= 1 and config.backoff_cap_s >= config.backoff_base_s


@pytest.mark.parametrize("attempt", [0, 1, 3, 10, 100])
def test_backoff_is_full_jitter_under_the_cap(attempt):
    rng = random.Random(attempt)
    delays = [backoff_delay(attempt, 0.5, 30.0, rng) for _ in range(500)]
    ceiling = min(30.0, 0.5 * 2**attempt)
    assert all(0.0 <= d <= ceiling for d in delays)
    # full jitter: spread over the whole range, not clustered at the ceiling
    assert min(delays) < 0.2 * ceiling and max(delays) > 0.8 * ceiling


def test_unbindable_request_socket_is_a_typed_error(tmp_path):
    import tests.support.sync as sync_support
    from sync.errors import BindError

    central = sync_support.central_kit()
    kit = sync_support.device_kit(tmp_path, central)
    agent = sync_support.agent_for(
        kit, central, "tcp://127.0.0.1:9", request_endpoint=f"ipc://{tmp_path}/no/such/dir/a.sock"
    )
    with pytest.raises(BindError):
        agent.start()


def test_receiver_bind_conflict_is_a_typed_error(tmp_path):
    import tests.support.sync as sync_support
    from sync.errors import BindError

    central = sync_support.central_kit()
    first = sync_support.start_receiver(central, str(tmp_path / "a.db"))
    try:
        with pytest.raises(BindError):
            sync_support.start_receiver(central, str(tmp_path / "b.db"), bind=first.endpoint)
    finally:
        first.stop()
