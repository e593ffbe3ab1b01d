import logging
import pytest
from emotion_nbdev.core import logger


@pytest.fixture
def logged():
    "Messages the project's logger emits during a test."
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)
