"""Tests of kiosk.call: the terminal's call worker and consultation flow (aiortc peers run in
network namespaces; see madoguchi/rig/call.py)."""
