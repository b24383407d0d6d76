# Sourced by scripts/demo and scripts/test: a virtualenv in .venv with the pinned
# dependencies (constraints.txt) and compiled translations. Re-running is quick: the
# install is skipped while pyproject.toml and constraints.txt are unchanged.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.x)." >&2
    return 1
}

if [ ! -x .venv/bin/python ]; then
    echo "==> Creating the virtual environment in .venv"
    "$(find_python)" -m venv .venv
fi

stamp=".venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "==> Installing dependencies (pinned by constraints.txt)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[embedded,dev]"
    rm -f .venv/.installed-*
    touch "$stamp"
fi

# Babel compiles the .po files without GNU gettext, so a bare machine can do it.
.venv/bin/pybabel -q compile --domain django --directory locale
