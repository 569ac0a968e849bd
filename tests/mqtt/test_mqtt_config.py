"""``[mqtt]``: a wrong key or value stops the gate at start with one line naming the key;
a good table is read into the values the link uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.errors import ConfigError
from gate.links.mqtt import topic_level


def with_mqtt(config: Path, body: str) -> Path:
    with config.open("a") as f:
        f.write("\n[mqtt]\n" + body.strip() + "\n")
    return config


def test_no_mqtt_table_means_no_link(demo_config: Path) -> None:
    """Without ``[mqtt]`` the gate sends nothing over MQTT."""
    assert None is load_config(demo_config).mqtt


def test_a_full_table_is_read(demo_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """URL, credentials from the environment, client id and prefix are read; the password is
    kept out of the value's repr (logs)."""
    monkeypatch.setenv("T_MQTT_USER", "gate-user")
    monkeypatch.setenv("T_MQTT_PASSWORD", "s3cret-pass")
    with_mqtt(
        demo_config,
        """
        url = "mqtts://broker.example:8884"
        username = "env:T_MQTT_USER"
        password = "env:T_MQTT_PASSWORD"
        client_id = "gate-dock-a-1"
        topic_prefix = "site9/gates"
        """,
    )
    mqtt = load_config(demo_config).mqtt
    assert mqtt is not None
    assert ("broker.example", 8884, True) == (mqtt.host, mqtt.port, mqtt.tls)
    assert ("gate-user", "s3cret-pass") == (mqtt.username, mqtt.password)
    assert ("gate-dock-a-1", "site9/gates") == (mqtt.client_id, mqtt.topic_prefix)
    assert "s3cret-pass" not in repr(mqtt)


def test_defaults(demo_config: Path) -> None:
    """The port follows the scheme, the client id the gate id, the prefix is ``gate``."""
    mqtt = load_config(with_mqtt(demo_config, 'url = "mqtt://127.0.0.1"')).mqtt
    assert mqtt is not None
    assert (1883, False, "gate-dock-a", "gate", None) == (
        mqtt.port,
        mqtt.tls,
        mqtt.client_id,
        mqtt.topic_prefix,
        mqtt.username,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('url = "mqtt://h"\nhots = "x"', "unknown key mqtt.hots"),
        ('url = "http://h:1883"', "mqtt.url: 'http://h:1883' is not an mqtt:// or mqtts:// URL"),
        ('url = "mqtt://u:p@h"', "mqtt.url: put credentials in mqtt.username and mqtt.password"),
        ('url = "mqtt://h/x"', "mqtt.url: 'mqtt://h/x' must be only a scheme, a host and a port"),
        ('url = "mqtt://h:0"', "mqtt.url: the port is not a number between 1 and 65535"),
        ('url = "mqtt://h:70000"', "mqtt.url: the port is not a number between 1 and 65535"),
        ('url = "mqtt://h"\npassword = "x"', "mqtt.password: given without mqtt.username"),
        ('url = "mqtt://h"\nusername = "env:T_NOT_SET_ANYWHERE"', "environment variable"),
        ('url = "mqtt://h"\ntopic_prefix = "a/+/b"', "mqtt.topic_prefix: 'a/+/b' must be"),
        ('url = "mqtt://h"\ntopic_prefix = "a//b"', "mqtt.topic_prefix: 'a//b' must be"),
        ('url = "mqtt://h"\nclient_id = "a b"', "mqtt.client_id: 'a b' must be"),
        ('url = "mqtt://h"\nca_file = "nope.pem"', "mqtt.ca_file:"),
        ('url = "mqtt://h"\nretry_max_seconds = 0.5', "mqtt.retry_max_seconds: must not be"),
        ('url = "mqtt://h"\nmax_queue = 5', "mqtt.max_queue: must be at least 100"),
        ("", "mqtt.url: missing"),
    ],
)
def test_bad_values_are_refused(demo_config: Path, body: str, message: str) -> None:
    """Each mistake is refused, naming the key."""
    with pytest.raises(ConfigError) as caught:
        load_config(with_mqtt(demo_config, body))
    assert message in str(caught.value)


def test_ids_cannot_add_topic_levels_or_wildcards() -> None:
    """A door or shipment id is one topic level whatever it holds."""
    assert "a%2Fb%2B%23%25" == topic_level("a/b+#%")
