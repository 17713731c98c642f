"""The ``studio`` command's exit codes: 0 done, 1 the job failed, 2 bad input or usage; a job
stopped by a signal after saving a checkpoint exits 128 + the signal: 130 Ctrl+C (SIGINT),
143 SIGTERM, 129 SIGHUP."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130
