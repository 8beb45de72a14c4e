"""The AES zip of an export: pyzipper and Debian's 7-Zip open it with the right password
only, it is AES-256, and a 50 MB member streams through in bounded memory."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import string
import subprocess
import tracemalloc
from pathlib import Path

import pytest
import pyzipper

from app.services.exports.archive import (
    PASSWORD_ALPHABET,
    PASSWORD_BITS,
    new_password,
    open_aes_zip,
)
from tests.support.browser import skip_or_fail

PASSWORD = new_password()
ROWS = 'id,name,note\r\n1,ស្រី សុខា,"=1+2"\r\n2,မောင်မောင်,ไทย\r\n'.encode()
AES_EXTRA = 0x9901  # the WinZip AES extra field


def seven_zip() -> str:
    """Debian's 7-Zip (package 7zip: 7zz; p7zip-full: 7z)."""
    found = shutil.which("7zz") or shutil.which("7z")
    if found is None:
        skip_or_fail("the archive tests need 7-Zip (apt-get install 7zip)")
    assert found is not None
    return found


def run_7z(*args: str) -> subprocess.CompletedProcess[bytes]:
    # -p with the password on the command line: fine for a test's throwaway password.
    return subprocess.run([seven_zip(), *args], capture_output=True, timeout=300, check=False)  # noqa: S603


def write_archive(path: Path, members: dict[str, bytes], password: str = PASSWORD) -> None:
    with path.open("wb") as out, open_aes_zip(out, password.encode()) as archive:
        for name, data in members.items():
            with archive.member(name) as member:
                for start in range(0, len(data), 7):  # in small chunks, as rows come
                    member.write(data[start : start + 7])


def aes_strength(info: pyzipper.ZipInfo) -> int:
    """The AES strength byte of a member's own WinZip AES extra field (3: 256 bits)."""
    extra, at = info.extra, 0
    while at + 4 <= len(extra):
        kind, size = (
            int.from_bytes(extra[at : at + 2], "little"),
            int.from_bytes(extra[at + 2 : at + 4], "little"),
        )
        if kind == AES_EXTRA:
            assert extra[at + 6 : at + 8] == b"AE"
            return extra[at + 8]
        at += 4 + size
    raise AssertionError("no WinZip AES extra field")


def test_pyzipper_reads_it_back_with_the_password(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    write_archive(path, {"records.csv": ROWS, "records.xlsx": b"PK\x03\x04" + os.urandom(500)})
    with pyzipper.AESZipFile(path) as archive:
        archive.setpassword(PASSWORD.encode())
        assert archive.namelist() == ["records.csv", "records.xlsx"]
        assert archive.read("records.csv") == ROWS
        assert [aes_strength(i) for i in archive.infolist()] == [3, 3]
        assert all(i.flag_bits & 0x1 for i in archive.infolist())  # marked encrypted
    assert ROWS not in path.read_bytes() and "សុខា".encode() not in path.read_bytes()


def test_pyzipper_refuses_a_wrong_password(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    write_archive(path, {"records.csv": ROWS})
    with pyzipper.AESZipFile(path) as archive:
        archive.setpassword(new_password().encode())
        with pytest.raises(RuntimeError, match="Bad password"):
            archive.read("records.csv")


def test_7zip_opens_it_with_the_right_password_only(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    write_archive(path, {"records.csv": ROWS, "readme.txt": b"two members"})
    listing = run_7z("l", "-slt", f"-p{PASSWORD}", str(path))
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.count(b"Method = AES-256 Deflate") == 2, listing.stdout
    extracted = run_7z("x", "-so", f"-p{PASSWORD}", str(path), "records.csv")
    assert extracted.returncode == 0 and extracted.stdout == ROWS
    wrong = run_7z("x", "-so", f"-p{new_password()}", str(path), "records.csv")
    assert wrong.returncode != 0 and wrong.stdout != ROWS
    assert b"Wrong password" in wrong.stderr + wrong.stdout
    tested = run_7z("t", f"-p{PASSWORD}", str(path))
    assert tested.returncode == 0 and b"Everything is Ok" in tested.stdout


class Unseekable(io.RawIOBase):
    """A response stream or a pipe: bytes go out and cannot be taken back."""

    def __init__(self) -> None:
        self.sent = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        chunk = bytes(data)  # type: ignore[call-overload]
        self.sent += chunk
        return len(chunk)


def test_an_output_that_cannot_seek_still_gives_an_archive_7zip_opens(tmp_path: Path) -> None:
    out = Unseekable()
    with open_aes_zip(out, PASSWORD.encode()) as archive:  # type: ignore[arg-type]
        with archive.member("records.csv") as member:
            member.write(ROWS)
    path = tmp_path / "streamed.zip"
    path.write_bytes(bytes(out.sent))
    extracted = run_7z("x", "-so", f"-p{PASSWORD}", str(path), "records.csv")
    assert extracted.returncode == 0 and extracted.stdout == ROWS


def test_an_export_cut_off_by_an_error_is_no_archive(tmp_path: Path) -> None:
    path = tmp_path / "cut.zip"
    with pytest.raises(OSError, match="disk full"), path.open("wb") as out:
        with open_aes_zip(out, PASSWORD.encode()) as archive:
            with archive.member("records.csv") as member:
                member.write(ROWS)
            raise OSError("disk full")
    assert path.stat().st_size > len(ROWS) // 2  # the member's bytes went out ...
    with pytest.raises(pyzipper.BadZipFile):  # ... but nothing says the archive is whole
        pyzipper.AESZipFile(path)
    assert run_7z("t", f"-p{PASSWORD}", str(path)).returncode != 0


@pytest.mark.parametrize(
    "name", ["", "../records.csv", "/etc/passwd", "a/b.csv", "a\\b.csv", "ស្រី.csv", ".hidden", "a..csv"]
)
def test_member_names_are_plain_file_names(tmp_path: Path, name: str) -> None:
    with (tmp_path / "x.zip").open("wb") as out, open_aes_zip(out, PASSWORD.encode()) as archive:
        with pytest.raises(ValueError, match="not a plain file name"):
            archive.member(name)


def test_an_empty_password_is_refused(tmp_path: Path) -> None:
    with (tmp_path / "x.zip").open("wb") as out, pytest.raises(ValueError, match="password is required"):
        with open_aes_zip(out, b""):
            pass


def test_passwords_are_random_readable_and_strong() -> None:
    drawn = {new_password() for _ in range(200)}
    assert len(drawn) == 200
    assert PASSWORD_BITS >= 100
    for password in drawn:
        groups = password.split("-")
        assert [len(g) for g in groups] == [4] * 6
        assert set("".join(groups)) <= set(PASSWORD_ALPHABET)
    assert not set("0o1liI") & set(PASSWORD_ALPHABET)
    assert set(PASSWORD_ALPHABET) <= set(string.ascii_lowercase + string.digits)
    used = set("".join(drawn).replace("-", ""))
    assert used == set(PASSWORD_ALPHABET)  # 4,800 draws reach every character


def test_a_50_mb_member_streams_in_bounded_memory(tmp_path: Path) -> None:
    size, chunk = 50 * 1024 * 1024, 64 * 1024
    seed = os.urandom(chunk)
    digest = hashlib.sha256()
    path = tmp_path / "large.zip"
    tracemalloc.start()
    try:
        with path.open("wb") as out, open_aes_zip(out, PASSWORD.encode()) as archive:
            with archive.member("records.csv") as member:
                for n in range(size // chunk):
                    # Incompressible, different chunks: the archive is as big as the member.
                    block = hashlib.sha256(n.to_bytes(4, "big")).digest() + seed[32:]
                    digest.update(block)
                    member.write(block)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert path.stat().st_size > size
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while writing a {size / 1e6:.0f} MB member"
    extracted = hashlib.sha256()
    with subprocess.Popen(  # noqa: S603
        [seven_zip(), "x", "-so", f"-p{PASSWORD}", str(path), "records.csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as process:
        assert process.stdout is not None
        while block := process.stdout.read(1024 * 1024):
            extracted.update(block)
    assert process.returncode == 0 and extracted.hexdigest() == digest.hexdigest()
