"""One small widget per view; each listens to the session or a Qt-free model object."""
