"""Training: the job and its loop, loop parameters, batching, seeding, data fingerprints."""
