"""mkimapdcert / mkpop3dcert: make a first self-signed certificate for imapd or pop3d.

An existing file is never overwritten: the program says so and exits 0, so
package scripts can call it unconditionally.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import ipaddress
import os
import socket
import sys
from pathlib import Path

from courier.config import DEFAULT_CONFIG_DIR, ConfigError, read_config


def _parser(prog: str, service: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description=f"Create a self-signed TLS certificate for {service}: the private key and the "
        "certificate in one PEM file (mode 600), with the host name in subjectAltName. "
        "An existing file is left untouched.",
    )
    p.add_argument("path", nargs="?", help=f"where to write (default: TLS_CERTFILE from {service}-ssl)")
    p.add_argument("--config-dir", default=str(DEFAULT_CONFIG_DIR), help="Courier config directory")
    p.add_argument(
        "--hostname",
        action="append",
        default=[],
        help="name (or IP address) for the certificate; repeat for more (default: this host's name)",
    )
    p.add_argument("--days", type=int, default=365, help="validity in days (default 365)")
    p.add_argument("--bits", type=int, default=3072, help="RSA key size (default 3072)")
    return p


def make_pem(names: list[str], days: int, bits: int, service: str) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Courier Mail Server"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"Automatically-generated {service} SSL key"),
        x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
    ])  # fmt: skip
    alt: list[x509.GeneralName] = []
    for name in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem + cert.public_bytes(serialization.Encoding.PEM)


def run(argv: list[str] | None, prog: str, name: str, service: str) -> int:
    args = _parser(prog, service).parse_args(argv)
    if args.days < 1 or not 2048 <= args.bits <= 16384:
        print(f"{prog}: --days must be >= 1 and --bits between 2048 and 16384", file=sys.stderr)
        return 2
    path = args.path
    if path is None:
        try:
            cfg = read_config(Path(args.config_dir) / f"{name}-ssl")
        except ConfigError as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return 1
        path = cfg.get("TLS_CERTFILE") or str(Path(args.config_dir) / f"{name}.pem")
    target = Path(path)
    if target.exists():
        print(f"{target} already exists.")
        return 0
    names = args.hostname or [socket.getfqdn() or "localhost"]
    pem = make_pem(names, args.days, args.bits, service)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        # link() fails if the target appeared meanwhile: still never overwrite.
        os.link(tmp, target)
    except FileExistsError:
        print(f"{target} already exists.")
        return 0
    except OSError as exc:
        print(f"{prog}: cannot write {target}: {exc.strerror}", file=sys.stderr)
        return 1
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    print(f"{target} created for {', '.join(names)}.")
    return 0


def imapd_main(argv: list[str] | None = None) -> int:
    return run(argv, "mkimapdcert", "imapd", "IMAP")


def pop3d_main(argv: list[str] | None = None) -> int:
    return run(argv, "mkpop3dcert", "pop3d", "POP3")
