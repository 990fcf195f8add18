"""IT staff tools: central keys, device enrollment, device bundles."""
