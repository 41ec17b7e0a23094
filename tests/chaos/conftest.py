"""The chaos stack (workers, beat, a redis-server of its own, an SMTP sink) for every
chaos module; it is defined beside the reminders' chaos tests."""

from tests.chaos.test_chaos import stack  # noqa: F401
