"""Structured JSON log lines. Request logs carry ids, paths and timings, never bodies or
query strings, so personal data (ID numbers, phones) never reaches the logs."""

from __future__ import annotations

import json
import logging
import sys

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info and record.exc_info[0]:
            # The exception type and where it arose, never its message: database errors
            # quote the offending values, which may be personal data.
            import traceback

            frames = traceback.extract_tb(record.exc_info[2])[-30:]
            payload["error"] = record.exc_info[0].__name__
            if isinstance(record.exc_info[1], OSError) and record.exc_info[1].errno:
                import errno

                payload["errno"] = errno.errorcode.get(record.exc_info[1].errno, record.exc_info[1].errno)
            payload["traceback"] = [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.name}" for f in frames]
        return json.dumps(payload, ensure_ascii=False, default=str)


def configure_logging(level: str) -> None:
    root = logging.getLogger("mediation")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
