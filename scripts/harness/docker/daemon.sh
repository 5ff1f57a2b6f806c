#!/usr/bin/env bash
# Docker for the harness. `up` prints the DOCKER_HOST to use: the machine's
# daemon when `docker info` answers, otherwise a dockerd of the harness's own
# (socket, data root and pid file under the cache) with a runtime wrapper that
# lets privileged containers (kind's nodes) start on this VM. `down` stops the
# harness's own daemon by pid. Nothing else is ever stopped.
source "$(dirname "$0")/../lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
state="$TICKERFLOW_CACHE/docker"
own_host="unix://$state/docker.sock"
pidfile="$state/dockerd.pid"

answers() { DOCKER_HOST="$1" docker info >/dev/null 2>&1; }

up() {
  if [ -z "${TICKERFLOW_OWN_DOCKER:-}" ] && answers "${DOCKER_HOST:-unix:///var/run/docker.sock}"; then
    echo "${DOCKER_HOST:-unix:///var/run/docker.sock}"; return
  fi
  if answers "$own_host"; then echo "$own_host"; return; fi
  command -v dockerd >/dev/null || { log "dockerd is missing: install-debian.sh installs docker.io"; exit 1; }
  mkdir -p "$state/data" "$state/exec"
  rm -f "$state/docker.sock"
  setsid dockerd --host "$own_host" --data-root "$state/data" --exec-root "$state/exec" \
    --pidfile "$pidfile" --storage-driver overlay2 \
    --add-runtime "tickerflow-runc=$here/runc-wrapper" --default-runtime tickerflow-runc \
    >"$state/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    if answers "$own_host"; then echo "$own_host"; return; fi
    kill -0 $! 2>/dev/null || break
    sleep 0.5
  done
  log "dockerd did not start; last lines of $state/dockerd.log:"
  tail -n 30 "$state/dockerd.log" >&2
  exit 1
}

down() {
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
}

"${1:?usage: daemon.sh up|down}"
