"""Regenerate the bundled domain snapshots in src/listclean/data from their upstream packages.

    python -m pip download --no-deps -d /tmp/lists disposable-email-domains publicsuffixlist
    python scripts/build_domain_lists.py /tmp/lists/*.whl

Writes `disposable_domains.txt` (the disposable-email-domains blocklist) and `public_suffixes.txt`
(the ICANN section of the Public Suffix List, in IDNA ASCII). Each file starts with comment lines
naming its source, version and licence; listclean reads them with no network and no extra
dependency, so every machine gives the same verdicts for the same snapshot. Review the diff.
"""

from __future__ import annotations

import ast
import re
import sys
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "src" / "listclean" / "data"


def _wheel(paths: list[str], name: str) -> zipfile.ZipFile:
    for path in paths:
        if Path(path).name.startswith(name):
            return zipfile.ZipFile(path)
    raise SystemExit(f"no wheel for {name} among {paths}")


def _version(wheel: zipfile.ZipFile) -> str:
    metadata = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    text = wheel.read(metadata).decode()
    return re.search(r"^Version: (.+)$", text, re.M).group(1).strip()


def disposable(paths: list[str]) -> None:
    wheel = _wheel(paths, "disposable_email_domains")
    source = wheel.read("disposable_email_domains/__init__.py").decode()
    tree = ast.parse(source)
    domains: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "blocklist" for t in node.targets):
            domains = set(ast.literal_eval(node.value))
    if not domains:
        raise SystemExit("blocklist not found in disposable_email_domains")
    header = [
        "# Disposable (throw-away) email domains, one per line; a domain's subdomains count too.",
        f"# Source: disposable-email-domains {_version(wheel)} (PyPI), https://github.com/disposable-email-domains/disposable-email-domains",
        "# Licence: MIT (see data/README.md). Regenerate with scripts/build_domain_lists.py.",
    ]
    lines = sorted(d.strip().lower() for d in domains if d.strip())
    (DATA / "disposable_domains.txt").write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    print(f"disposable_domains.txt: {len(lines)} domains")


def public_suffixes(paths: list[str]) -> None:
    wheel = _wheel(paths, "publicsuffixlist")
    text = wheel.read("publicsuffixlist/public_suffix_list.dat").decode("utf-8")
    version = re.search(r"^// VERSION: (\S+)", text, re.M)
    icann = text.split("===BEGIN ICANN DOMAINS===", 1)[1].split("===END ICANN DOMAINS===", 1)[0]
    rules = []
    for line in icann.splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        prefix = ""
        if line[0] in "!*":
            prefix, line = (line[:2], line[2:]) if line.startswith("*.") else (line[0], line[1:])
        ascii_rule = ".".join(label.encode("idna").decode("ascii") for label in line.split("."))
        rules.append(prefix + ascii_rule.lower())
    header = [
        "# Public suffixes (ICANN section of the Public Suffix List) in IDNA ASCII; '*.' wildcards and '!' exceptions as in the PSL.",
        f"# Source: Public Suffix List {version.group(1) if version else 'unknown'} via publicsuffixlist {_version(wheel)}, https://publicsuffix.org/",
        "# Licence: MPL-2.0 (see data/README.md). Regenerate with scripts/build_domain_lists.py.",
    ]
    lines = sorted(set(rules))
    (DATA / "public_suffixes.txt").write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    print(f"public_suffixes.txt: {len(lines)} rules")


if __name__ == "__main__":
    wheels = sys.argv[1:]
    disposable(wheels)
    public_suffixes(wheels)
