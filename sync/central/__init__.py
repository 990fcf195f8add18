"""The central side: receiver, store, processing, forwarder, issuer, dashboard. Never imports device code."""
