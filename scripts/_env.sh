# Shared by the scripts in this folder: where the project's Python environment lives and how
# to run a command inside it. Sourced, never run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/homevolt-local-api"
REQ_HASH=$(sha256sum "$ROOT/requirements_test.txt" | cut -c1-16)
# Bump when the root filesystem recipe changes.
ROOTFS_VERSION=1
ROOTFS="$CACHE/rootfs-forky-v$ROOTFS_VERSION"
CHROOT_VENV="/opt/venv-$REQ_HASH"
# The venv on the host, when a suitable Python is on PATH (scripts/demo may point both elsewhere).
HOST_VENV="$ROOT/.venv"
# The repository is bind-mounted here inside the root filesystem.
CHROOT_SRC=/src

# A Python >= 3.14.2 on PATH, if there is one.
host_python() {
    local candidate
    for candidate in python3.14 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c \
            'import sys; sys.exit(0 if sys.version_info >= (3, 14, 2) else 1)' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# "host" when a suitable Python is on PATH, else "chroot".
env_kind() {
    if [ -n "${HOMEVOLT_ENV:-}" ]; then
        echo "$HOMEVOLT_ENV"
    elif host_python >/dev/null; then
        echo host
    else
        echo chroot
    fi
}

env_ready() {
    case "$(env_kind)" in
        host) [ -f "$ROOT/.venv/.ready-$REQ_HASH" ] ;;
        chroot) [ -f "$ROOTFS$CHROOT_VENV/.ready" ] ;;
    esac
}

# Variables that cross into the environment; everything else stays outside.
passed_env() {
    local name
    for name in CI TERM COLUMNS LINES NO_COLOR FORCE_COLOR; do
        [ -n "${!name:-}" ] && printf '%s=%s\0' "$name" "${!name}"
    done
    while IFS='=' read -r -d '' name value; do
        case "$name" in
            HOMEVOLT_*|PYTEST_*|HYPOTHESIS_*|SIM_*) printf '%s=%s\0' "$name" "$value" ;;
        esac
    done < <(env -0)
}

# Run "$@" inside the environment, in the repository root.
run_in_env() {
    case "$(env_kind)" in
        host)
            cd "$ROOT" && PATH="$HOST_VENV/bin:$PATH" VIRTUAL_ENV="$HOST_VENV" exec "$@"
            ;;
        chroot)
            local -a vars=()
            while IFS= read -r -d '' kv; do vars+=("$kv"); done < <(passed_env)
            # A private mount namespace: the bind mounts vanish with the command, so nothing
            # of the repository is ever left mounted inside the cache.
            exec unshare --mount --propagation private -- /bin/bash -c '
                set -e
                rootfs=$1 src=$2 dest=$3; shift 3
                mount --bind /proc "$rootfs/proc"
                mount --rbind /dev "$rootfs/dev"
                mount --rbind /sys "$rootfs/sys"
                mkdir -p "$rootfs$dest"
                mount --bind "$src" "$rootfs$dest"
                exec chroot "$rootfs" "$@"
            ' bash "$ROOTFS" "$ROOT" "$CHROOT_SRC" \
                /usr/bin/env -i \
                HOME=/root LANG=C.UTF-8 \
                PATH="$CHROOT_VENV/bin:/usr/local/bin:/usr/bin:/bin" \
                VIRTUAL_ENV="$CHROOT_VENV" \
                SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
                PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
                HOMEVOLT_IN_ENV=1 \
                "${vars[@]}" \
                /bin/sh -c 'cd "$0" && exec "$@"' "$CHROOT_SRC" "$@"
            ;;
    esac
}
