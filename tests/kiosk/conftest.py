"""Tests of The kiosk (kiosk/): session logic, services adapters, UI, center host, call worker."""
