"""``python -m courier.cli.mkcert_imapd``: same as mkimapdcert."""

from courier.cli.mkcert import imapd_main

if __name__ == "__main__":
    raise SystemExit(imapd_main())
