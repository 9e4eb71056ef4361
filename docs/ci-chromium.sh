# Snippet for .ci/run, before `make test`: make Chromium available so the browse tests
# render Datasette pages in a real headless browser. Best effort by design: without
# root, apt or network the install is skipped, and those tests skip with a reason
# ("Chromium is not installed"), so CI never fails because of this step.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        sudo_cmd=""
        if [ "$(id -u)" -ne 0 ]; then
            if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
                sudo_cmd="sudo -n"
            fi
        fi
        if [ "$(id -u)" -eq 0 ] || [ -n "$sudo_cmd" ]; then
            $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
                || { $sudo_cmd apt-get update \
                     && $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; } \
                || echo "ci: could not install chromium; the headless-browser tests will be skipped" >&2
        else
            echo "ci: no root for apt-get; the headless-browser tests will be skipped" >&2
        fi
    else
        echo "ci: apt-get not available; the headless-browser tests will be skipped" >&2
    fi
fi
