"""Audit receivers for admin logins, logouts and user changes."""
