"""The REST API v1 (PRODUCT.md "REST API (v1) — the contract"), mounted at /api/v1/."""
