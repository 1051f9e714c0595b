"""dbt-duckdb plugin: hands the pseudonymisation key to every DuckDB connection.

The HMAC pads derived from ICLSC_PSEUDO_KEY become the session variables
`iclsc_hmac_ipad` and `iclsc_hmac_opad`, so compiled SQL, logs and the manifest never hold
the key. The macro `pseudonymize` reads them with getvariable().
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin

from iclsc.pseudonym import hmac_pads, key_from_env


class Plugin(BasePlugin):
    def initialize(self, plugin_config):
        self._pads = None

    def _set_pads(self, conn) -> None:
        if self._pads is None:
            self._pads = hmac_pads(key_from_env())
        inner, outer = self._pads
        # Hex digits only: nothing here can break out of the literal.
        conn.execute(f"set variable iclsc_hmac_ipad = unhex('{inner.hex()}')")
        conn.execute(f"set variable iclsc_hmac_opad = unhex('{outer.hex()}')")

    def configure_connection(self, conn):
        self._set_pads(conn)

    def configure_cursor(self, cursor):
        self._set_pads(cursor)
