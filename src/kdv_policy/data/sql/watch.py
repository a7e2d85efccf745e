"""Noticing that the people of a database changed: the change counter (any database), and on
PostgreSQL the notifications the triggers send (``LISTEN kdv_people``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from kdv_policy.data.sql.connect import CONNECT_TIMEOUT, make_engine, reason
from kdv_policy.data.sql.schema import CHANNEL
from kdv_policy.data.sql.source import change_counter

WATCH_LOGGER = logging.getLogger("kdv_policy.data.sql.watch")


class ChangeWatcher:
    """The change counter of a people database, read cheaply (one row) on each poll."""

    def __init__(self, location: str) -> None:
        self._engine = make_engine(location, pool_size=1, max_overflow=0, pool_pre_ping=True)
        self.dialect = self._engine.dialect.name
        self._threads: list[threading.Thread] = []

    def counter(self) -> int | None:
        """The change counter now; None when the database does not answer (a change to look at)."""
        try:
            with self._engine.connect() as connection:
                return change_counter(connection)
        except SQLAlchemyError as err:
            WATCH_LOGGER.warning("cannot read the change counter of %s: %s", self._engine.url, reason(err))
            return None

    def listen(self, callback: Callable[[], None], stop: threading.Event) -> bool:
        """On PostgreSQL, call ``callback`` on every change announced, from a daemon thread that
        reconnects after an outage, until ``stop`` is set; whether it listens (False elsewhere)."""
        if self.dialect != "postgresql":
            return False
        url = make_url(self._engine.url).set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        thread = threading.Thread(target=self._listen, args=(conninfo, callback, stop),
                                  name="kdv_policy-people-listen", daemon=True)
        thread.start()
        self._threads.append(thread)
        return True

    def _listen(self, conninfo: str, callback: Callable[[], None], stop: threading.Event) -> None:
        import psycopg

        while not stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True,
                                     connect_timeout=CONNECT_TIMEOUT) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    callback()  # a change made while no one listened
                    while not stop.is_set():
                        if any(True for _ in connection.notifies(timeout=0.5, stop_after=1)):
                            callback()
            except Exception as err:  # an outage: listen again when the database answers
                WATCH_LOGGER.warning("listening for changes of the people failed: %s", err)
                stop.wait(1.0)

    def close(self) -> None:
        for thread in self._threads:
            thread.join(timeout=5)
        self._engine.dispose()
