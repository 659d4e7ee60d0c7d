"""Exit 0 when the configured Celery broker answers (so ``make run`` starts worker and beat).

Prints nothing on success; on failure says that the console starts alone with tasks in-process.
Settings never probe the network themselves: the launcher decides, with this.
"""

import os
import socket
import sys
from urllib.parse import urlparse


def broker_answers(url: str, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at the broker URL's host and port."""
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout):
            return True
    except OSError:
        return False


def main() -> int:
    url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if broker_answers(url):
        return 0
    print("No Celery broker answers: starting the console only; tasks run in-process.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
