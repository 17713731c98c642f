"""The plugin API's version.

A plugin module declares ``STUDIO_API_VERSION`` with the major version it was built for. Studio
refuses a plugin whose major version differs from ``API_VERSION``, with a message naming both, so
an old plugin can never half-work against a changed API.
"""

API_VERSION = 1


def is_compatible(plugin_version: object) -> bool:
    """True when a plugin built for ``plugin_version`` can run on this API."""
    if isinstance(plugin_version, bool) or not isinstance(plugin_version, (int, str)):
        return False
    try:
        major = int(str(plugin_version).split(".")[0])
    except ValueError:
        return False
    return major == API_VERSION
