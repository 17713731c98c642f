"""Plugins: the host that loads them, their health, Studio's fallback exporters, and installing."""
