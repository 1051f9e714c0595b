# Sourced by the scripts: makes .venv on a fresh clone (or when pyproject.toml changed),
# activates it and sets the environment every command needs.
# Usage: ensure_venv "<extras>"   e.g. ensure_venv "dev"
set -euo pipefail

ICLSC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ICLSC_ROOT"

ensure_venv() {
    local extras="$1"
    local python="${ICLSC_PYTHON:-$(command -v python3.11 || command -v python3)}"
    local stamp=".venv/.iclsc-installed"
    local hash installed extra
    hash="$(sha256sum < pyproject.toml | cut -c1-64)"
    installed="$(cat "$stamp" 2>/dev/null || true)"
    # Up to date when pyproject.toml is unchanged and every wanted extra is installed, so that
    # ./scripts/run (fewer extras) after ./scripts/test does not reinstall.
    if [ "${installed%% *}" = "$hash" ]; then
        for extra in ${installed#* }; do
            case " ${extras//,/ } " in *" $extra "*) ;; *) extras="$extras,$extra" ;; esac
        done
    fi
    if [ ! -x .venv/bin/python ] || [ "$installed" != "$hash ${extras//,/ }" ]; then
        echo "[iclsc] setting up .venv (extras: $extras)" >&2
        [ -x .venv/bin/python ] || "$python" -m venv .venv
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
        echo "$hash ${extras//,/ }" > "$stamp"
    fi
    # shellcheck disable=SC1091
    source .venv/bin/activate
    export DBT_PROFILES_DIR="$ICLSC_ROOT/profiles"
    export DBT_SEND_ANONYMOUS_USAGE_STATS=false
    export DO_NOT_TRACK=1
    export GX_ANALYTICS_ENABLED=false
}

# Debian's PostgreSQL server (initdb, pg_ctl; pgcrypto ships with it) and Java 17 for Spark,
# installed when absent (CI runs as root on a machine that may not have them).
ensure_engine_tools() {
    local missing=()
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
    command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "[iclsc] installing ${missing[*]}" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}
