"""Celery tasks: thin wrappers that call services in ``canary.*``.

One module per area; every module in this package is imported here so the Celery app
(which autodiscovers this package) registers all of them.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
