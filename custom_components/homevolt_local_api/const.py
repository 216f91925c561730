"""Constants of the Homevolt Local API integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "homevolt_local_api"
CORE_DOMAIN: Final = "homevolt"  # Home Assistant core's own integration for the same battery
LOGGER = logging.getLogger(__package__)
MANUFACTURER: Final = "Tibber"

CONF_VERIFY_SSL: Final = "verify_ssl"
CONF_SCAN_INTERVAL: Final = "scan_interval"  # only in entries made before 0.2: removed on load

# ems.json every 15 s keeps power as fresh as Home Assistant core's homevolt integration; the
# slower endpoints are read less often, so the total stays below 60 % of its 480 requests an
# hour. The schedule changes by our own writes (read back at once) or at an entry's start or
# end (read then too); every 2 minutes catches changes made elsewhere (the app, the cloud).
SCAN_INTERVAL: Final = timedelta(seconds=15)
SCHEDULE_INTERVAL: Final = timedelta(minutes=2)
STATUS_INTERVAL: Final = timedelta(minutes=5)
PARAMS_INTERVAL: Final = timedelta(hours=6)
# Set-up reads only ems.json and the schedule (the controls need it); status, parameters and
# the OTA manifest follow this soon after, one request at a time, so that a battery set up
# with Home Assistant's start is not kept busy while everything else starts too.
FOLLOW_UP_INTERVAL: Final = timedelta(seconds=2)
# Firmware offers change a few times a year: twice an hour is plenty and costs the device two
# small reads. While an update runs (or status.json says one does), read every minute so that
# progress moves.
OTA_INTERVAL: Final = timedelta(minutes=30)
OTA_ACTIVE_INTERVAL: Final = timedelta(seconds=60)

# A unit, module or clamp missing from ems.json is only unavailable until it has stayed away
# this long: longer than a mesh hiccup, a firmware update or a service visit over a weekend,
# short enough that a unit taken away stops showing as unavailable within a week.
STALE_DEVICE_AFTER: Final = timedelta(days=7)

# A part whose read failed is tried again this soon (or at its own tier, if sooner).
RETRY_INTERVAL: Final = timedelta(seconds=60)
