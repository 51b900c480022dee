# Sourced by the other scripts: find a Python 3.12+ and a virtualenv in .venv.
# Honours PYTHON=/path/to/python3.x; otherwise tries PATH, then pyenv's versions.

moatwatch_python_ok() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

moatwatch_find_python() {
  if [ -n "${PYTHON:-}" ]; then
    if moatwatch_python_ok "$PYTHON"; then echo "$PYTHON"; return 0; fi
    echo "error: PYTHON=$PYTHON is not a working Python 3.12 or newer" >&2
    return 1
  fi
  local candidate
  for candidate in python3.13 python3.12 python3 \
      "$HOME"/.pyenv/versions/3.13*/bin/python3.13 "$HOME"/.pyenv/versions/3.12*/bin/python3.12 \
      /usr/local/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12; do
    if command -v "$candidate" >/dev/null 2>&1 && moatwatch_python_ok "$candidate"; then
      command -v "$candidate"; return 0
    fi
  done
  echo "error: Moatwatch needs Python 3.12 or newer and found none." >&2
  echo "       Install one (e.g. pyenv install 3.13) or point PYTHON= at it." >&2
  return 1
}

# moatwatch_venv REQUIREMENTS_FILE: create .venv if needed, install the pinned
# requirements when they changed, and put .venv/bin first on PATH.
moatwatch_venv() {
  local requirements="$1" python stamp
  if [ ! -x .venv/bin/python ] || ! moatwatch_python_ok .venv/bin/python; then
    python=$(moatwatch_find_python) || exit 1
    echo "Creating .venv with $python ($("$python" --version))"
    rm -rf .venv
    "$python" -m venv .venv || { echo "error: could not create a virtualenv with $python" >&2; exit 1; }
  fi
  stamp=".venv/.installed-$(cat requirements.txt "$requirements" | sha256sum | cut -c1-16)-$(basename "$requirements")"
  if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements" || exit 1
    touch "$stamp"
  fi
  export PATH="$PWD/.venv/bin:$PATH"
}
