"""Hosts of provider URLs, the way the egress allow-list compares them (for manifests)."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit


@lru_cache(maxsize=1024)  # pure; asked for each manifest URL on every guarded request
def host_of(url: str) -> str:
    """The lower-case host of a URL (or of a bare host), brackets and trailing dot removed."""
    url = (url or "").strip()
    if "://" in url:
        url = urlsplit(url).hostname or ""
    return url.strip("[]").rstrip(".").lower()


def hosts_of(*urls: str) -> set[str]:
    return {host for host in (host_of(str(url)) for url in urls if url) if host}
