"""gunicorn's configuration (`gunicorn -c config/gunicorn.py config.wsgi`).

The access log leaves out query strings (OAuth callbacks carry codes and states) and the secret
part of Jira webhook paths (Jira Server signs nothing, so the secret rides in the URL).
"""

import os
import re

from gunicorn.glogging import Logger

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

WEBHOOK_SECRET_IN_PATH = re.compile(r"^(/webhooks/jira/[^/.]+)\.[^/]+")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        values = super().atoms(resp, req, environ, request_time)
        values["U"] = WEBHOOK_SECRET_IN_PATH.sub(r"\1.[redacted]", values.get("U", ""))
        values["r"] = values["q"] = "-"
        return values


logger_class = RedactingLogger
