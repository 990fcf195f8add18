"""Outbox, record sealing, the ZeroMQ sync agent and protocol. Never imports kiosk/."""
