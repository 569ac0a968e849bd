"""``gate bundle keygen|make|verify|serve`` on the office's side: each refusal is one line and
exit status 1, and ``verify`` refuses what a gate would refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.cli.main import main
from tests.service.harness import CONFIGS

CONFIG = str(CONFIGS / "gate.toml")


@pytest.fixture
def office(tmp_path: Path) -> Path:
    """A key and a repository at v1 in tmp_path."""
    assert 0 == main(["bundle", "keygen", str(tmp_path / "office.pem")])
    made = ["bundle", "make", "--config", CONFIG, "--key", str(tmp_path / "office.pem")]
    assert 0 == main([*made, "-o", str(tmp_path / "repo")])
    return tmp_path


def verify(office: Path, root: Path | None = None) -> int:
    root = root or office / "repo" / "root.json"
    return main(["bundle", "verify", "--root", str(root), str(office / "repo")])


def test_keygen_never_overwrites_a_key(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A second keygen onto the same file is refused and the key is kept."""
    before = (office / "office.pem").read_bytes()
    assert 1 == main(["bundle", "keygen", str(office / "office.pem")])
    assert "exists: not overwriting a key" in capsys.readouterr().err
    assert before == (office / "office.pem").read_bytes()


def test_verify_accepts_the_bundle_and_loads_it(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The repository made verifies, and its contents load under the demo config."""
    args = ["bundle", "verify", "--root", str(office / "repo" / "root.json"), "--config", CONFIG]
    assert 0 == main([*args, str(office / "repo")])
    assert "bundle v1: signature, version, expiry and the hash of" in capsys.readouterr().out


def test_verify_refuses_another_root(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Checked against another office's root, the bundle's signatures do not hold."""
    assert 0 == main(["bundle", "keygen", str(office / "other.pem")])
    other = ["bundle", "make", "--config", CONFIG, "--key", str(office / "other.pem")]
    assert 0 == main([*other, "-o", str(office / "other")])
    capsys.readouterr()
    assert 1 == verify(office, office / "other" / "root.json")
    assert "gate bundle: signature: not signed by the office's key" in capsys.readouterr().err


def test_verify_refuses_a_changed_file(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A data file changed after signing fails its hash."""
    countries = next((office / "repo" / "targets").glob("*.countries.toml"))
    countries.write_text(countries.read_text().replace("RU", "RO"))
    assert 1 == verify(office)
    assert "gate bundle: hash: a file differs from the one the office signed" in (
        capsys.readouterr().err
    )


def test_make_refuses_a_key_the_root_does_not_name(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Adding to a repository with another key is refused; nothing is published."""
    before = (office / "repo" / "timestamp.json").read_bytes()
    assert 0 == main(["bundle", "keygen", str(office / "other.pem")])
    other = ["bundle", "make", "--config", CONFIG, "--key", str(office / "other.pem")]
    assert 1 == main([*other, "-o", str(office / "repo")])
    assert "is not the one this repository's root names" in capsys.readouterr().err
    assert before == (office / "repo" / "timestamp.json").read_bytes()


def test_serve_refuses_a_folder_that_is_no_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``serve`` on a folder without timestamp.json stops with the reason."""
    assert 1 == main(["bundle", "serve", str(tmp_path)])
    assert "holds no bundle repository" in capsys.readouterr().err
