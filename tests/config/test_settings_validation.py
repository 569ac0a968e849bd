"""A config typo never switches a rule off: unknown keys, bad URLs, addresses and paths stop the
gate at start with one line that names the key (issue 11, item 9)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.errors import ConfigError
from tests.conftest import ROOT


def edit(config: Path, pattern: str, replacement: str) -> None:
    """Replaces the one line of ``config`` that matches ``pattern`` (a regex, multiline)."""
    text, count = re.subn(pattern, replacement, config.read_text(), count=1, flags=re.M)
    assert 1 == count, pattern
    config.write_text(text)


def refused(config: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    return str(caught.value)


# --- unknown keys --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "replacement", "message"),
    [
        (
            r"^catch_all_end_uses = ",
            "catch_all_enduses = ",
            "unknown key policy.catch_all_enduses; did you mean catch_all_end_uses?",
        ),
        (
            r"^max_age_days = ",
            "max_age_day = ",
            "unknown key table.max_age_day; did you mean max_age_days?",
        ),
        (
            r"^gate_id = .*$",
            'gate_id = "dock-a"\ngate_idd = "x"',
            "unknown key gate_idd; did you mean gate_id?",
        ),
        (
            r"^\[central\]$",
            "[central]\nretry_intial_seconds = 1.0",
            "unknown key central.retry_intial_seconds; did you mean retry_initial_seconds?",
        ),
        (
            r'^name = "Door 1 \(north\)"$',
            'nmae = "Door 1 (north)"',
            "unknown key doors[0].nmae; did you mean name?",
        ),
        (
            r"^\[http\]$",
            "[http]\nrate_limt = 10",
            "unknown key http.rate_limt; did you mean rate_limit?",
        ),
        (
            r"^\[storage\]$",
            "[storage]\ndatabse_backup = 'x'",
            "unknown key storage.databse_backup; did you mean database?",
        ),
        (
            r"^\[http\]$",
            "[htpp]\nlisten = '127.0.0.1:1'\n[http]",
            "unknown key htpp; did you mean http?",
        ),
        (
            r"^\[\[operators\]\]$",
            "[[operators]]\nzzz = 1",
            "unknown key operators[0].zzz (known: name, password)",
        ),
    ],
    ids=[
        "catch_all_enduses",
        "max_age_day",
        "root",
        "central",
        "doors",
        "http",
        "storage",
        "section",
        "no close key",
    ],
)
def test_unknown_key_is_refused_naming_the_closest_one(
    demo_config: Path, pattern: str, replacement: str, message: str
) -> None:
    """Every section refuses a key it does not know, naming it and the closest valid key."""
    edit(demo_config, pattern, replacement)
    assert message == refused(demo_config)


def test_misspelt_required_key_points_at_the_misspelling(demo_config: Path) -> None:
    """A required key that is missing because it was misspelt names both spellings."""
    edit(demo_config, r"^countries = ", "contries = ")
    assert (
        "policy.countries: missing (policy.contries is not a key: did you mean countries?)"
        == refused(demo_config)
    )


def test_unknown_reader_option_names_the_closest_one(demo_config: Path) -> None:
    """The readers section (which already refused unknown keys) names the closest one too."""
    with demo_config.open("a") as f:
        f.write(
            '\n[[readers]]\nname = "p"\nkind = "llrp"\naddress = "127.0.0.1"\ndoor = "D1"\n'
            "options = { dedupe_windw = 2.0 }\n"
        )
    assert (
        "readers[0].options.dedupe_windw: unknown option for kind llrp;"
        " did you mean dedupe_window?" == refused(demo_config)
    )


# --- URLs, addresses, paths ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("127.0.0.1:9090", "is not an http:// or https:// URL"),
        ("office.example/gate", "is not an http:// or https:// URL"),
        ("ftp://office.example", "is not an http:// or https:// URL"),
        ("http://", "has no valid host"),
        ("https://bad_host!/x", "has no valid host"),
        ("http://office.example:99999", "has a port that is not a number"),
        ("http://office.example:0", "has port 0"),
        ("http://office.example/x?a=1", "must not have a query or fragment"),
        ("http://office example", "contains white space"),
    ],
)
def test_central_url_must_be_http_with_a_host(demo_config: Path, url: str, problem: str) -> None:
    """central.url without a scheme, host or valid port is refused at start, not retried."""
    edit(demo_config, r'^url = "http://127.0.0.1:9090"$', f'url = "{url}"')
    message = refused(demo_config)
    assert message.startswith(f"central.url: {url!r} {problem}"), message


@pytest.mark.parametrize("url", ["https://office.example", "http://[::1]:9090/base/"])
def test_good_central_urls_load(demo_config: Path, url: str) -> None:
    """http and https URLs with a host (IPv6 in brackets) load; a trailing slash is dropped."""
    edit(demo_config, r'^url = "http://127.0.0.1:9090"$', f'url = "{url}"')
    assert url.rstrip("/") == load_config(demo_config).central.url


@pytest.mark.parametrize(
    ("listen", "problem"),
    [
        ("8080", "expected HOST:PORT"),
        ("127.0.0.1:", "expected HOST:PORT"),
        ("127.0.0.1:0", "port 0 is not between 1 and 65535"),
        ("127.0.0.1:70000", "port 70000 is not between 1 and 65535"),
        ("bad host:8080", "expected HOST:PORT"),
        ("::1:8080", "expected HOST:PORT"),
    ],
)
def test_bad_listen_address_is_refused(demo_config: Path, listen: str, problem: str) -> None:
    """A listen address needs a valid host (IPv6 in brackets) and a port from 1 to 65535."""
    edit(demo_config, r'(\[http\]\s*listen = )"[^"]*"', rf'\1"{listen}"')
    message = refused(demo_config)
    assert message.startswith("http.listen: ") and problem in message, message


def test_ipv6_listen_address_in_brackets_loads(demo_config: Path) -> None:
    """``[::1]:PORT`` is an IPv6 listen address."""
    edit(demo_config, r'(\[http\]\s*listen = )"[^"]*"', r'\1"[::1]:18080"')
    assert ("::1", 18080) == (
        load_config(demo_config).http.host,
        load_config(demo_config).http.port,
    )


def test_http_and_scanner_cannot_share_an_address(demo_config: Path) -> None:
    """The scanner socket and the HTTP service on one address would fail later: refused now."""
    http = load_config(demo_config).http
    edit(demo_config, r'(\[scanner\]\s*listen = )"[^"]*"', rf'\1"{http}"')
    assert f"scanner.listen: {http} is also http.listen" == refused(demo_config)


def test_missing_input_file_is_refused_naming_the_key(demo_config: Path) -> None:
    """A file the gate reads that does not exist names its key and its resolved path."""
    (demo_config.parent / "countries.toml").unlink()
    expected = f"policy.countries: {demo_config.parent / 'countries.toml'} does not exist"
    assert expected == refused(demo_config)


def test_missing_catalogue_is_refused(demo_config: Path) -> None:
    """Each catalogue must exist."""
    edit(demo_config, r"^catalogues = .*$", 'catalogues = ["catalogue.csv", "nope.csv"]')
    assert refused(demo_config).startswith("table.catalogues[1]: ")


def test_folder_where_a_file_belongs_is_refused(demo_config: Path) -> None:
    """A database path that is a folder, or under a file, is refused at start."""
    folder = demo_config.parent / "db-folder"
    folder.mkdir()
    edit(demo_config, r"^database = .*$", 'database = "db-folder"')
    assert f"storage.database: {folder} is a folder, not a file" == refused(demo_config)
    edit(demo_config, r"^database = .*$", 'database = "countries.toml/gate.db"')
    assert refused(demo_config).endswith("countries.toml is a file, not a folder")


# --- what must still load ------------------------------------------------------------------


def test_shipped_demo_config_loads() -> None:
    """configs/gate.toml, as shipped, has no unknown key and valid values."""
    config = load_config(ROOT / "configs" / "gate.toml")
    assert "dock-a" == config.gate_id


def test_test_generated_configs_load(demo_config: Path) -> None:
    """The configs tests generate (office URL and retry keys, rate limits) still load."""
    text = demo_config.read_text()
    text = text.replace('url = "http://127.0.0.1:9090"', 'url = "http://127.0.0.1:40123"')
    text = text.replace(
        "[central]\n",
        "[central]\nretry_initial_seconds = 0.05\nretry_max_seconds = 0.3\n"
        "unreachable_alert_seconds = 1\n",
        1,
    )
    text = text.replace("[http]\n", "[http]\nrate_limit = 5\nburst = 5\n", 1)
    demo_config.write_text(text)
    config = load_config(demo_config)
    assert ("http://127.0.0.1:40123", 5.0) == (config.central.url, config.limits.rate)


def test_serve_with_a_typo_exits_1_with_one_line(demo_config: Path) -> None:
    """`gate serve --config` on a file with a misspelt key exits 1 with exactly that line."""
    edit(demo_config, r"^catch_all_end_uses = ", "catch_all_enduses = ")
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    done = subprocess.run(
        [sys.executable, "-m", "gate", "serve", "--config", str(demo_config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 1 == done.returncode
    assert [
        "gate serve: unknown key policy.catch_all_enduses; did you mean catch_all_end_uses?"
    ] == done.stderr.strip().splitlines()


@pytest.mark.parametrize("days", ["0", "3661", "4000000"])
def test_a_control_list_age_outside_one_day_to_ten_years_is_refused(
    demo_config: Path, days: str
) -> None:
    """``[table] max_age_days`` takes 1 to 3660 days: a larger one would only overflow the date
    arithmetic of every decision (which then holds every line)."""
    edit(demo_config, r"^max_age_days = .*$", f"max_age_days = {days}")
    assert "table.max_age_days: must be at least 1 and at most 3660" == refused(demo_config)


@pytest.mark.parametrize("gate_id", ["d" * 65, "dock|a", "dock\ta"])
def test_a_gate_id_the_office_cannot_name_back_is_refused(demo_config: Path, gate_id: str) -> None:
    """A gate id is part of every licence request id and of the callbacks' ``gate_id`` (at
    most 64 printable characters without ``|``): a longer or unprintable one stops the start."""
    edit(demo_config, r"^gate_id = .*$", f"gate_id = {gate_id!r}".replace("'", '"'))
    assert refused(demo_config).startswith("gate_id: at most 64 printable characters")
