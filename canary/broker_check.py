"""Exit 0 when the configured Celery broker answers (so ``make run`` starts worker and beat).

Prints nothing on success; on failure prints the process names to start without a broker.
"""

import os
import socket
import sys
from urllib.parse import urlparse


def main() -> int:
    url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 0.5):
            return 0
    except OSError:
        print("No Celery broker answers: starting the console only; tasks run in-process.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
