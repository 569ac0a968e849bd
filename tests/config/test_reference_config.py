"""``[central] reference_url`` and ``[reference]``: both or neither, every key checked, the
bundle cache beside the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.errors import ConfigError


def configure(config: Path, url: str | None, section: str | None) -> Path:
    text = config.read_text()
    if url is not None:
        text = text.replace("[central]\n", f'[central]\nreference_url = "{url}"\n', 1)
    if section is not None:
        text += "\n[reference]\n" + section + "\n"
    config.write_text(text)
    (config.parent / "office-root.json").write_text("{}")
    return config


def refused(config: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    return str(caught.value)


def test_without_reference_url_there_is_no_reference(demo_config: Path) -> None:
    """The demo config pulls no bundles."""
    assert load_config(demo_config).reference is None


def test_a_reference_url_with_its_root_is_read(demo_config: Path) -> None:
    """The URL gets its trailing slash, the cache sits beside the database."""
    configure(demo_config, "http://127.0.0.1:9091/ref", 'root = "office-root.json"')
    config = load_config(demo_config)
    assert config.reference is not None
    assert "http://127.0.0.1:9091/ref/" == config.reference.url
    assert demo_config.parent / "office-root.json" == config.reference.root
    assert config.database.parent / "reference" == config.reference.cache
    assert 300.0 == config.reference.poll_seconds


@pytest.mark.parametrize(
    ("url", "section", "message"),
    [
        ("http://127.0.0.1:9091/", None, "reference.root: missing"),
        (None, 'root = "office-root.json"', "set central.reference_url too"),
        ("ftp://office/", 'root = "office-root.json"', "central.reference_url: 'ftp://office/'"),
        ("http://127.0.0.1:9091/", 'root = "absent.json"', "reference.root:"),
        (
            "http://127.0.0.1:9091/",
            'root = "office-root.json"\npoll_second = 60',
            "unknown key reference.poll_second; did you mean poll_seconds?",
        ),
        (
            "http://127.0.0.1:9091/",
            'root = "office-root.json"\npoll_seconds = 0',
            "reference.poll_seconds: must be between 1 and 86400",
        ),
    ],
)
def test_a_wrong_reference_setting_stops_the_start(
    demo_config: Path, url: str | None, section: str | None, message: str
) -> None:
    """Each wrong setting is refused naming its key."""
    configure(demo_config, url, section)
    assert message in refused(demo_config)
