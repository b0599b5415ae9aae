# Runs the Python programs of scripts/python (the package virt_exporter_tools) with Debian's python3.
# Source this file; it does nothing by itself.

# Debian's interpreter, whose modules (python3-pyflakes) apt installs; any python3 if there is none.
VIRT_EXPORTER_PYTHON=/usr/bin/python3
[ -x "$VIRT_EXPORTER_PYTHON" ] || VIRT_EXPORTER_PYTHON=$(command -v python3)

# run_python_module MODULE ARGUMENT...: replaces the shell with `python3 -m MODULE ARGUMENT...`,
# with scripts/python on the module path.
run_python_module() {
    local python_dir
    python_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../python" && pwd)
    PYTHONPATH="$python_dir${PYTHONPATH:+:$PYTHONPATH}" exec "$VIRT_EXPORTER_PYTHON" -m "$@"
}
