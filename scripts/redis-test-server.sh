#!/bin/sh
# A throwaway Redis on loopback for the end-to-end rotation tests and the demo.
#
#   redis-test-server.sh start DIR PORT   start (or keep) the instance; waits for PING
#   redis-test-server.sh stop DIR         stop the instance started in DIR
#
# TEST INSTANCE ONLY: bound to 127.0.0.1, no data persistence, and the
# `default` user has no password (`nopass`) so the deploy playbook can manage
# the ACL of user `app` without an admin credential. Config, pid, log and the
# ACL file (`aclfile DIR/users.acl`, so `ACL SAVE` persists across restarts)
# all live in DIR.
set -eu

say() { printf 'redis-test-server: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
    die "usage: $0 start DIR PORT | stop DIR"
}

ping() {
    # -p PORT only: the default user is nopass, nothing secret on the command line.
    [ "$(redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null || true)" = PONG ]
}

running_pid() {
    [ -f "$1/redis.pid" ] || return 1
    pid=$(cat "$1/redis.pid")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

start() {
    dir=$1 port=$2
    case $port in ''|*[!0-9]*) die "PORT must be a number, got '$port'" ;; esac
    command -v redis-server >/dev/null 2>&1 || die "redis-server not found: run scripts/install-test-deps.sh"
    command -v redis-cli >/dev/null 2>&1 || die "redis-cli not found: run scripts/install-test-deps.sh"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    case $dir in *'"'*|*'\'*) die "DIR must not contain quotes or backslashes: $dir" ;; esac

    if pid=$(running_pid "$dir"); then
        ping "$(cat "$dir/port")" || die "redis-server (pid $pid) from $dir is running but does not answer"
        say "already running on 127.0.0.1:$(cat "$dir/port") (pid $pid)"
        return 0
    fi
    ping "$port" && die "something already answers on 127.0.0.1:$port"

    # Kept across restarts: it holds the ACL the deploy playbook saved.
    [ -f "$dir/users.acl" ] || printf 'user default on nopass ~* +@all\n' >"$dir/users.acl"
    cat >"$dir/redis.conf" <<CONF
# Throwaway test instance written by scripts/redis-test-server.sh.
bind 127.0.0.1
protected-mode yes
port $port
daemonize yes
pidfile "$dir/redis.pid"
logfile "$dir/redis.log"
dir "$dir"
aclfile "$dir/users.acl"
save ""
appendonly no
CONF
    printf '%s\n' "$port" >"$dir/port"
    redis-server "$dir/redis.conf" || die "redis-server failed to start; see $dir/redis.log"

    tries=0
    until ping "$port"; do
        tries=$((tries + 1))
        [ "$tries" -le 100 ] || die "redis-server did not answer PING on 127.0.0.1:$port within 10s; see $dir/redis.log"
        sleep 0.1
    done
    say "started on 127.0.0.1:$port (pid $(cat "$dir/redis.pid"), files in $dir)"
}

stop() {
    dir=$1
    if ! pid=$(running_pid "$dir"); then
        say "not running (no live pid in $dir/redis.pid)"
        return 0
    fi
    kill "$pid"
    tries=0
    while kill -0 "$pid" 2>/dev/null; do
        tries=$((tries + 1))
        [ "$tries" -le 100 ] || die "redis-server (pid $pid) did not stop within 10s"
        sleep 0.1
    done
    rm -f "$dir/redis.pid"
    say "stopped (pid $pid)"
}

[ $# -ge 1 ] || usage
case $1 in
    start) [ $# -eq 3 ] || usage; start "$2" "$3" ;;
    stop) [ $# -eq 2 ] || usage; stop "$2" ;;
    *) usage ;;
esac
