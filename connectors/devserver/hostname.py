"""A worker's name for Airflow's records when several workers share one host.

Airflow writes the host a task ran on (`task_instance.hostname`) from `[core] hostname_callable`. Two Celery workers
on one machine (a laptop, the Celery topology test) would both record the machine's name; with
`AIRFLOW__CORE__HOSTNAME_CALLABLE=connectors.devserver.hostname.from_environment` each records its
`INTEGRATIONS_HOSTNAME` instead. Logs are read from the shared log folder, not fetched from that name.
"""

from __future__ import annotations

import os
import socket

VARIABLE = "INTEGRATIONS_HOSTNAME"


def from_environment() -> str:
    return os.environ.get(VARIABLE) or socket.getfqdn()
