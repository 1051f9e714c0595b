"""Keyed pseudonyms: the SQL macro computes HMAC-SHA256, and the key never reaches SQL."""

from __future__ import annotations

import hashlib
import hmac
import json

import duckdb
import pytest

from iclsc import pseudonym
from iclsc.dbt_plugin import Plugin

KEY = "a-secret-key-of-enough-bytes"


def test_pads_follow_rfc_2104():
    inner, outer = pseudonym.hmac_pads(KEY.encode())
    assert len(inner) == len(outer) == 64
    message = b"ABCD12345678"
    expected = hmac.new(KEY.encode(), message, hashlib.sha256).hexdigest()
    computed = hashlib.sha256(outer + hashlib.sha256(inner + message).digest()).hexdigest()
    assert computed == expected


def test_long_keys_are_hashed_first():
    key = b"k" * 100
    inner, _ = pseudonym.hmac_pads(key)
    assert inner[:32] == bytes(b ^ 0x36 for b in hashlib.sha256(key).digest())


def test_duckdb_macro_equals_python_hmac(monkeypatch):
    monkeypatch.setenv(pseudonym.KEY_ENV, KEY)
    connection = duckdb.connect()
    Plugin(name="test", plugin_config={}).configure_connection(connection)
    values = ["ABCD12345678", "dossier:12345678:000123", "É accentué"]
    for value in values:
        (sql_value,) = connection.execute(
            "select sha256(getvariable('iclsc_hmac_opad')"
            " || unhex(sha256(getvariable('iclsc_hmac_ipad') || encode(?))))",
            [value],
        ).fetchone()
        assert sql_value == pseudonym.pseudonym(value, KEY.encode())


def test_missing_or_short_key_is_refused(monkeypatch):
    monkeypatch.delenv(pseudonym.KEY_ENV, raising=False)
    with pytest.raises(pseudonym.MissingKeyError):
        pseudonym.key_from_env()
    monkeypatch.setenv(pseudonym.KEY_ENV, "short")
    with pytest.raises(pseudonym.MissingKeyError):
        pseudonym.key_from_env()


def test_development_key_is_announced(monkeypatch, capsys):
    monkeypatch.setenv(pseudonym.KEY_ENV, pseudonym.DEVELOPMENT_KEY)
    pseudonym.warn_if_development_key()
    assert "DEVELOPMENT PSEUDONYMISATION KEY" in capsys.readouterr().err
    monkeypatch.setenv(pseudonym.KEY_ENV, KEY)
    pseudonym.warn_if_development_key()
    assert capsys.readouterr().err == ""


def test_key_never_reaches_dbt_artifacts(tiny_build):
    """The pads are session variables: no artifact of the build holds the key or a pad."""
    key = tiny_build.env()[pseudonym.KEY_ENV].encode()
    inner, outer = pseudonym.hmac_pads(key)
    secrets = [key.decode(), inner.hex(), outer.hex()]
    for path in tiny_build.target_dir.rglob("*"):
        if path.is_file() and path.suffix in {".json", ".sql", ".log", ".txt"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            for secret in secrets:
                assert secret not in text, f"{path} holds the key"
    manifest = json.loads((tiny_build.target_dir / "manifest.json").read_text())
    assert "getvariable('iclsc_hmac_ipad')" in json.dumps(manifest)
