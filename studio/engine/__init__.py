"""The engine: jobs, runs, checkpoints, datasets and plugins. No Qt here, ever.

The window, the command line and the tests drive it the same way: a job is a Python object whose
``run`` yields events.
"""
