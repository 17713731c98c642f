"""Jobs in their own processes.

codec       events as plain data on the pipe (the parent never unpickles a class)
child       the child's entry point: rebuild the session, run the job, stream its events
isolated    the parent's Job: spawns the child, forwards events and cancel, reports its death
policy      which jobs are isolated, and building either kind from the same arguments
"""
