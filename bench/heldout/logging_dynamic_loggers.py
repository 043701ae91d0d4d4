"""A job runner that gives every job its own logger, named after the job's
uuid: logging.getLogger() keeps every Logger ever created in
``logging.Logger.manager.loggerDict``, so one Logger leaks per job."""
import logging
import uuid

from _truth import grows

EXPECT = "leak"
CULPRIT = "Logger"
CONTAINER = "loggerDict"

logging.basicConfig(level=logging.WARNING)


def run_job(payload):
    log = logging.getLogger("job.%s" % uuid.uuid4())
    log.debug("starting with %r", payload)
    result = sum(payload)
    log.info("done: %d", result)
    return result


def setup():
    pass


def action():
    return run_job([1, 2, 3])


def truth(n):
    return grows(action, lambda: len(logging.Logger.manager.loggerDict), n, 1, "loggerDict entries")
