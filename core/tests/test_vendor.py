"""Vendored front-end files: each listed with its version, licence and checksum, nothing unlisted."""

import hashlib
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "static" / "vendor"
ROW = re.compile(
    r"^\| (?P<name>[^|]+) \| (?P<version>[^|]+) \| (?P<file>[^|]+) \| (?P<licence>[^|]+) \| (?P<sha>[0-9a-f]{64}) \|$"
)


def rows():
    for line in (VENDOR / "README.md").read_text().splitlines():
        match = ROW.match(line.strip())
        if match:
            yield {k: v.strip() for k, v in match.groupdict().items()}


def test_every_vendored_file_is_listed_pinned_and_licensed():
    listed = list(rows())
    assert listed, "static/vendor/README.md lists no library"
    for row in listed:
        path = VENDOR / row["file"]
        assert path.is_file(), row
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha"], f"{row['file']} changed without the table"
        folder = path.parent
        assert row["version"] in folder.name, "vendored folders carry their exact version"
        assert any(p.name.upper().startswith(("LICENSE", "LICENCE")) for p in folder.iterdir()), folder
    listed_files = {row["file"] for row in listed}
    for path in VENDOR.rglob("*"):
        if path.is_file() and path.suffix in {".js", ".css", ".mjs"}:
            assert str(path.relative_to(VENDOR)) in listed_files, f"{path} is not listed in static/vendor/README.md"
