"""Constants of the Homevolt Local API integration."""

from typing import Final

DOMAIN: Final = "homevolt_local_api"
