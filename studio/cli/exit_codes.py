"""The ``studio`` command's exit codes: 0 done, 1 the job failed, 2 bad input or usage, 130
cancelled with Ctrl+C (after a checkpoint was saved)."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130
