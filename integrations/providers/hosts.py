"""Hosts of provider URLs, the way the egress allow-list compares them (for manifests)."""

from __future__ import annotations

from urllib.parse import urlsplit


def host_of(url: str) -> str:
    """The lower-case host of a URL (or of a bare host), brackets and trailing dot removed."""
    url = (url or "").strip()
    if "://" in url:
        url = urlsplit(url).hostname or ""
    return url.strip("[]").rstrip(".").lower()


def hosts_of(*urls: str) -> set[str]:
    return {host for host in (host_of(str(url)) for url in urls if url) if host}
