"""gunicorn's configuration (`gunicorn -c config/gunicorn.py config.wsgi`).

The access log leaves out query strings (OAuth callbacks carry codes and states) and the secret
part of webhook paths (Jira Server signs nothing, so its secret rides in the URL after the
subscription id). With
LOG_FORMAT=json (the production default) gunicorn's error and access logs are JSON lines like
Django's; an access line carries the request's id (request_id), method, path, status and
duration. With PROMETHEUS_MULTIPROC_DIR set, a worker that exits is marked dead so its live
gauges leave /metrics (prometheus_client's multiprocess mode).
"""

import os
import re

from gunicorn.glogging import Logger

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

WEBHOOK_SECRET_IN_PATH = re.compile(r"^(/webhooks/[^/]+/[^/.]+)\.[^/]+")
# Where config.observability.middleware leaves the request id in the WSGI environ.
REQUEST_ID_ENVIRON_KEY = "conduit.request_id"


def json_logs() -> bool:
    production = os.environ.get("DJANGO_ENV", "").strip().lower() == "production"
    default = "json" if production else "plain"
    return os.environ.get("LOG_FORMAT", default).strip().lower() == "json"


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        from config.logging import JsonFormatter, RedactSecretsFilter, install_record_factory
        from config.observability.request_id import RequestIdFilter

        install_record_factory()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(RedactSecretsFilter())
                handler.addFilter(RequestIdFilter())
                if json_logs():
                    handler.setFormatter(JsonFormatter())

    def atoms(self, resp, req, environ, request_time):
        values = super().atoms(resp, req, environ, request_time)
        values["U"] = WEBHOOK_SECRET_IN_PATH.sub(r"\1.[redacted]", values.get("U", ""))
        values["r"] = values["q"] = "-"
        return values

    def access(self, resp, req, environ, request_time):
        """gunicorn's access line, with the request's fields as JSON keys too."""
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.logconfig_dict
                or self.cfg.syslog):
            return
        atoms = self.atoms(resp, req, environ, request_time)
        extra = {
            "request_id": environ.get(REQUEST_ID_ENVIRON_KEY) or "-",
            "http_method": atoms.get("m"),
            "path": atoms.get("U"),
            "status": atoms.get("s"),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote_addr": atoms.get("h"),
        }
        try:
            self.access_log.info(self.cfg.access_log_format, self.atoms_wrapper_class(atoms),
                                 extra=extra)
        except Exception:  # noqa: BLE001 - gunicorn's own access() swallows these too
            self.error(f"Failed to format access log line: {self.cfg.access_log_format}")


logger_class = RedactingLogger


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
