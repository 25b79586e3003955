"""The tokens app's periodic jobs, for Celery beat (config/celery.py merges this dict).

Kept free of Django imports so the Celery app can read it before Django is set up.
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "tokens.refresh_expiring_accounts": {
        "task": "tokens.refresh_expiring_accounts",
        "schedule": 60.0,  # well inside TOKEN_REFRESH_WINDOW_SECONDS (600 by default)
    },
    "tokens.send_due_revocations": {
        "task": "tokens.send_due_revocations",
        "schedule": 300.0,
    },
    "tokens.purge_unused_accounts": {
        "task": "tokens.purge_unused_accounts",
        "schedule": crontab(minute=17),  # hourly
    },
}
