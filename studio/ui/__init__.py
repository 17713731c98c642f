"""The desktop window. Qt widgets only; never imports torch and never calls a model.

Views are small widgets bound to Qt-free model objects (``studio.ui.models``); engine jobs run on
one GPU worker thread (``studio.ui.worker``) and their events arrive here as signals.
"""
