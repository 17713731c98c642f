"""Installing plugins offline: wheels and folders, resolving, the plugin site, snapshots."""
