"""courier-tcpd: start one program per TCP connection (Courier's couriertcpd, for hosts without systemd)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from courier import log
from courier.config import DEFAULT_CONFIG_DIR, ConfigError, as_int, as_str, read_chain
from courier.net import access
from courier.net.tcpd import (
    DEFAULT_REFUSAL,
    LaunchError,
    TcpdSettings,
    courier_ports,
    parse_listen,
    program_path,
)

USAGE = "courier-tcpd [options] --listen ADDR:PORT [--listen ...] -- PROGRAM [ARGS...]"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="courier-tcpd",
        usage=USAGE,
        description=(
            "Listen on TCP addresses and start PROGRAM once per connection, with the connection "
            "as its standard input and output and the client's address in TCPREMOTEIP/TCPREMOTEPORT "
            "and REMOTE_ADDR/REMOTE_PORT."
        ),
    )
    p.add_argument(
        "--config-dir", default=str(DEFAULT_CONFIG_DIR), help="Courier config directory (%(default)s)"
    )
    p.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="NAME",
        help="read MAXDAEMONS, MAXPERIP and (without --listen) ADDRESS/PORT from this file of "
        "--config-dir, e.g. imapd; repeat to read several in order",
    )
    p.add_argument("--ssl", action="store_true", help="with --config: listen on SSLADDRESS/SSLPORT instead")
    p.add_argument(
        "--listen",
        action="append",
        default=[],
        metavar="ADDR:PORT",
        help="address to listen on: 127.0.0.1:143, [::1]:143, [::]:143 (every address, IPv4 and IPv6) or 143",
    )
    p.add_argument("--maxprocs", type=int, help="most connections served at once (MAXDAEMONS; default 40)")
    p.add_argument(
        "--maxperip", type=int, help="most connections from one address (MAXPERIP; default 20; 0 = any)"
    )
    p.add_argument(
        "--access", metavar="FILE", help="Courier access file or directory (allow/deny by address prefix)"
    )
    p.add_argument("--pidfile", metavar="FILE", help="write the process id here (removed at exit)")
    p.add_argument(
        "--refuse-message",
        default=DEFAULT_REFUSAL,
        metavar="TEXT",
        help="line sent to a client over a limit (e.g. '* BYE Too many connections'); default: %(default)r",
    )
    p.add_argument(
        "--grace", type=float, default=5.0, help="seconds children get after SIGTERM (%(default)s)"
    )
    p.add_argument(
        "--preload",
        metavar="MODULE",
        help="one of our programs as a module (courier.cli.imapd, courier.cli.pop3d): import it once "
        "and run each connection in a fork of this process, calling its main(ARGS); PROGRAM is then "
        "only the process's name",
    )
    p.add_argument("--syslog", action="store_true", help="log to syslog instead of standard error")
    p.add_argument("program", nargs=argparse.REMAINDER, help="the program and its arguments, after --")
    return p


def settings_from_args(args: argparse.Namespace) -> TcpdSettings:
    argv = [a for a in args.program]
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise LaunchError("no program given: put it after --, e.g. courier-tcpd --listen 143 -- imapd")
    if not args.preload:
        program_path(argv)
    conf = read_chain(args.config_dir, *args.config) if args.config else {}
    where = f"{args.config_dir}/{'+'.join(args.config)}"
    maxprocs = args.maxprocs if args.maxprocs is not None else as_int(conf, "MAXDAEMONS", 40, where)
    maxperip = args.maxperip if args.maxperip is not None else as_int(conf, "MAXPERIP", 20, where)
    if maxprocs < 1 or maxperip < 0:
        raise LaunchError(f"limits must be positive (maxprocs={maxprocs}, maxperip={maxperip})")
    if args.listen:
        listen = [parse_listen(spec) for spec in args.listen]
    elif args.config:
        prefix = "SSL" if args.ssl else ""
        listen = courier_ports(as_str(conf, f"{prefix}ADDRESS", "0"), as_str(conf, f"{prefix}PORT"))
    else:
        raise LaunchError("nothing to listen on: give --listen ADDR:PORT (or --config with PORT set)")
    return TcpdSettings(
        listen=tuple(listen),
        argv=tuple(argv),
        maxprocs=maxprocs,
        maxperip=maxperip,
        refusal=args.refuse_message,
        access_file=args.access,
        pidfile=args.pidfile,
        grace=args.grace,
        environ=dict(os.environ),
        preload=args.preload,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log.configure("courier-tcpd", use_syslog=args.syslog)
    try:
        settings = settings_from_args(args)
        from courier.net.tcpd import run

        return run(settings)
    except (LaunchError, ConfigError, access.AccessError) as exc:
        print(f"courier-tcpd: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"courier-tcpd: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
