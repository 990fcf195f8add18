"""Tests of sync.agent: the ZeroMQ CURVE agent on real sockets (127.0.0.1) and its status file."""
