"""``spinemets serve --ssl-certfile --ssl-keyfile``: HTTPS with a certificate made here
(self-signed, for 127.0.0.1); an unusable certificate or key stops start-up with exit 2."""

from __future__ import annotations

import datetime
import ipaddress
import socket
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapter import cli


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private.chmod(0o600)
    return cert, private


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("broken", ["a key of another certificate", "a missing certificate"])
def test_an_unusable_certificate_or_key_exits_2_with_one_line(tmp_path, capsys, broken):
    cert, key = self_signed(tmp_path)
    if broken == "a missing certificate":
        cert = tmp_path / "missing.pem"
    else:
        (tmp_path / "other").mkdir()
        _, key = self_signed(tmp_path / "other")
    arguments = ["serve", "--port", str(free_port()), "--ssl-certfile", str(cert),
                 "--ssl-keyfile", str(key)]  # fmt: skip
    assert cli.main(arguments) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("spinemets: TLS certificate")


def test_a_certificate_without_its_key_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SPINEMETS_SSL_CERTFILE", str(tmp_path / "cert.pem"))
    assert cli.main(["serve", "--port", str(free_port())]) == 2
    assert "SPINEMETS_SSL_KEYFILE" in capsys.readouterr().err
