"""Constants of the Homevolt Local API integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "homevolt_local_api"
LOGGER = logging.getLogger(__package__)
MANUFACTURER: Final = "Tibber"

CONF_VERIFY_SSL: Final = "verify_ssl"
CONF_SCAN_INTERVAL: Final = "scan_interval"

# ems.json every 15 s keeps power as fresh as Home Assistant core's homevolt integration; the
# slower endpoints are read less often, so the total stays below its 480 requests an hour.
DEFAULT_SCAN_INTERVAL: Final = 15
MIN_SCAN_INTERVAL: Final = 5
MAX_SCAN_INTERVAL: Final = 300
SCHEDULE_INTERVAL: Final = timedelta(seconds=60)
STATUS_INTERVAL: Final = timedelta(minutes=5)
ERROR_REPORT_INTERVAL: Final = timedelta(minutes=5)
PARAMS_INTERVAL: Final = timedelta(hours=6)
# A part whose read failed is tried again this soon (or at its own tier, if sooner).
RETRY_INTERVAL: Final = timedelta(seconds=60)
