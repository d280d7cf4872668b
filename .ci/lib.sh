# Sourced by every script under .ci/: one place for the workspace root, logging, root and
# the machine-wide lock. Each script is one job (or step) of .github/workflows/matrix.yml,
# and .ci/run runs the same scripts here (through act, or directly).
set -euo pipefail
CI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$CI_ROOT"
# Where the build job puts the runner and the nextest archive (uploaded as the artifact
# `build`; under target/, which git ignores).
DIST="$CI_ROOT/target/ci"
IPCSPEC="$DIST/ipcspec"

log() { printf '\n== %s ==  (%s)\n' "$*" "$(date +%T)"; }

# Re-run this script as root, keeping the toolchain on PATH. `sudo --preserve-env=PATH` is
# not enough: Ubuntu's sudoers has `secure_path`, which sudo applies after keeping the
# environment, so cargo (in ~/.cargo/bin) would not be found; `sudo env PATH=...` sets it
# inside sudo instead. CARGO_HOME and RUSTUP_HOME keep pointing at the user's toolchain.
as_root() {
    if [ "$(id -u)" -ne 0 ]; then
        exec sudo env "PATH=$PATH" "HOME=$HOME" "CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}" \
            "RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}" "CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-auto}" \
            "IPCSPEC_CACHE=${IPCSPEC_CACHE:-}" "IPCSPEC_DOCKER_BASE=${IPCSPEC_DOCKER_BASE:-}" \
            "GITHUB_OUTPUT=${GITHUB_OUTPUT:-}" "GITHUB_STEP_SUMMARY=${GITHUB_STEP_SUMMARY:-}" \
            "CI=${CI:-}" bash "$0" "$@"
    fi
}

# Work on this machine's kernel (the host target, containers, gVisor, the workspace tests)
# shares per-user limits and sysctls that no namespace separates: one such job at a time on
# one machine. On GitHub every job has a machine of its own and the lock is always free;
# here, act may run more than one job at once (.ci/run runs them one at a time).
host_kernel_lock() {
    exec 9>"${TMPDIR:-/tmp}/ipcspec-host-kernel.lock"
    if ! flock -n 9; then
        echo "waiting for another job on this machine's kernel ..."
        flock 9
    fi
}

# The runner from the build job's artifact (artifacts lose the executable bit).
runner() {
    if [ ! -f "$IPCSPEC" ]; then
        echo "$IPCSPEC is missing: run .ci/build first (or download the build artifact)" >&2
        exit 2
    fi
    chmod +x "$IPCSPEC"
    "$IPCSPEC" "$@"
}
