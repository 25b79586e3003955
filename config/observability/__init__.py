"""Operability: the request id carried through web, tasks and provider calls, and metrics."""
