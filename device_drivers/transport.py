"""One MQTT client for the whole process: reconnecting, resubscribing, never blocking paho.

Messages are handed from paho's network thread to a dispatcher thread through a queue, so a
handler may publish and wait without stalling the network loop.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import hashlib
import logging
import queue
import re
import socket
import ssl
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from iotlm.errors import UserError

log = logging.getLogger(__name__)
HANDLED_MEMORY = 50_000

Handler = Callable[[str, bytes], None]


class BrokerURLError(UserError):
    """A broker address that cannot be used."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def redact_url(url: str) -> str:
    """``url`` with its password, if any, shown as ``***``: for logs, messages and the console."""
    return re.sub(r"(://[^:/@\s]*:)[^@/\s]*@", r"\1***@", url)


def parse_broker_url(url: str) -> BrokerAddress:
    """``mqtt://[user:pass@]host[:1883]`` or ``mqtts://host[:8883]`` -> :class:`BrokerAddress`."""
    shown = redact_url(url)
    parts = urlsplit(url if "://" in url else f"mqtt://{url}")
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise BrokerURLError(f"broker {shown!r}: scheme must be mqtt:// or mqtts://, e.g. mqtt://127.0.0.1:1883")
    if not parts.hostname:
        raise BrokerURLError(f"broker {shown!r}: no host; write it as mqtt://HOST:PORT")
    tls = parts.scheme in ("mqtts", "ssl")
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError as exc:
        raise BrokerURLError(f"broker {shown!r}: port must be a number 1-65535") from exc
    return BrokerAddress(
        host=parts.hostname, port=port, tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


@dataclass(frozen=True)
class Will:
    topic: str
    payload: str
    retain: bool = True
    qos: int = 1


class Transport:
    """The process's MQTT client.

    ``subscribe`` registers a handler for a topic filter; subscriptions are (re)made on every
    connect. Handlers run on the dispatcher thread, one message at a time, in arrival order.
    """

    def __init__(
        self,
        broker: str | BrokerAddress,
        *,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        ca_certs: str | None = None,
        will: Will | None = None,
        keepalive: int = 30,
        session: str | None = None,
    ) -> None:
        """``session``: a client id whose session the broker keeps while this process is away (clean_session off).
        QoS 1 messages that arrive meanwhile are delivered on return, and each is acknowledged only after its
        handlers ran, so a crash loses none of them (the long-running service uses this)."""
        self.address = parse_broker_url(broker) if isinstance(broker, str) else broker
        self.session = session
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=session or client_id or f"iotlm-{uuid.uuid4().hex[:10]}",
            protocol=mqtt.MQTTv311,
            clean_session=session is None,
            manual_ack=session is not None,
        )
        user = username or self.address.username
        if user:
            self._client.username_pw_set(user, password or self.address.password)
        if self.address.tls or ca_certs:
            self._client.tls_set(ca_certs=ca_certs, cert_reqs=ssl.CERT_REQUIRED)
        if will is not None:
            self._client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._pending_subs: dict[int, threading.Event] = {}
        self._sub_filters: dict[int, str] = {}
        self.refused: str | None = None
        self.refused_subscriptions: list[str] = []
        """Topic filters the broker refused to let this client read (an ACL without them)."""
        """Why the broker last refused the connection (bad credentials...), until a connection succeeds."""
        self._keepalive = keepalive
        self._subs: list[tuple[str, Handler, int]] = []
        self._exact: dict[str, list[Handler]] = {}
        """Handlers of filters without wildcards, by topic: thousands of per-device subscriptions stay O(1)."""
        self._wild: list[tuple[str, Handler]] = []
        self._fresh_only: set[Handler] = set()
        """Handlers that are never given a retained message (requests, which must not replay at every restart)."""
        self.retained_skipped = 0
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._connections = 0
        self._inbox: queue.Queue[tuple[str, bytes, int, int, bool, bool] | threading.Event | None] = queue.Queue()
        self._handled: collections.OrderedDict[bytes, None] = collections.OrderedDict()
        """Fingerprints of the latest messages handled (session mode): a redelivery (DUP) of one is not handled twice."""
        self.redeliveries_skipped = 0
        self.max_backlog = 200_000
        """Messages received but not yet handled, at most; past it new ones are dropped, counted and logged."""
        self.dropped = 0
        self._dispatcher: threading.Thread | None = None
        self._started = False

    # ------------------------------------------------------------ lifecycle

    def start(self, timeout: float | None = 10.0) -> Transport:
        """Connect (and keep reconnecting in the background); wait up to ``timeout`` s."""
        if not self._started:
            self._started = True
            self._dispatcher = threading.Thread(target=self._dispatch, name="iotlm-mqtt-dispatch", daemon=True)
            self._dispatcher.start()
            self._client.connect_async(self.address.host, self.address.port, keepalive=self._keepalive)
            self._client.loop_start()
        if timeout is not None and not self._connected.wait(timeout):
            self.stop()  # no retrying in the background for a caller that has been told it failed
            if self.refused:
                raise ConnectionError(
                    f"the MQTT broker at {self.address.url} refused the connection: {self.refused}; check the username "
                    "and password (config.toml username/password, or mqtt://USER:PASS@HOST:PORT)")
            raise ConnectionError(
                f"no MQTT broker answered at {self.address.url} within {timeout:g} s; "
                "start one or pass --broker mqtt://HOST:PORT"
                + (" (for mqtts://, also check that the broker's certificate is signed by the CA you gave, ca_certs)"
                   if self.address.tls else "")
            )
        return self

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        try:
            self._client.disconnect()
        finally:
            self._client.loop_stop()
            self._inbox.put(None)
            if self._dispatcher is not None:
                self._dispatcher.join(timeout=5)

    def __enter__(self) -> Transport:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def connections(self) -> int:
        """How many times a connection was made (1 + reconnects)."""
        return self._connections

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    # ------------------------------------------------------------ pub/sub

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1, *, wait: float | None = None,
                  retained: bool = True) -> bool:
        """Route messages matching ``topic_filter`` to ``handler``.

        With ``wait`` seconds (and a connection), return only once the broker acknowledged
        the subscription, so a message published after this call is sure to be delivered.
        ``retained=False``: the handler is never given a retained message (it is logged and dropped): a request or a
        confirmation someone left retained would otherwise be acted on again at every restart.
        """
        acked = threading.Event()
        with self._lock:
            if not retained:
                self._fresh_only.add(handler)
            self._subs.append((topic_filter, handler, qos))
            plain = _match_filter(topic_filter)
            if "+" in plain or "#" in plain:
                self._wild.append((plain, handler))
            else:
                self._exact.setdefault(plain, []).append(handler)
            if not self.connected:
                return False
            # under the lock, so on_subscribe cannot look for the mid before it is recorded
            result, mid = self._client.subscribe(topic_filter, qos=qos)
            if result != mqtt.MQTT_ERR_SUCCESS or mid is None:
                return False
            self._pending_subs[mid] = acked
            self._sub_filters[mid] = topic_filter
        if wait is None:
            return True
        return acked.wait(wait) and topic_filter not in self.refused_subscriptions

    def publish(self, topic: str, payload: str | bytes | dict[str, Any] | list[Any] | None = None, *,
                qos: int = 1, retain: bool = False, wait: float | None = None) -> bool:
        """Publish; with ``wait`` seconds, return whether the broker acknowledged it in time."""
        if isinstance(payload, dict | list):
            import json

            payload = json.dumps(payload, separators=(",", ":"))
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if wait is None:
            return info.rc == mqtt.MQTT_ERR_SUCCESS
        try:
            info.wait_for_publish(wait)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()

    # ------------------------------------------------------------ paho callbacks (network thread)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self.refused = str(reason)
            log.warning("MQTT broker %s refused the connection: %s", self.address.url, reason)
            return
        self.refused = None
        sock = client.socket()
        if isinstance(sock, socket.socket):
            # small request/response messages: Nagle + delayed ACK would add ~40 ms per hop
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            filters = {f: q for f, _, q in self._subs}
        for topic_filter, qos in filters.items():
            _, mid = client.subscribe(topic_filter, qos=qos)
            if mid is not None:
                with self._lock:
                    self._sub_filters[mid] = topic_filter
        self._connections += 1
        if self._connections > 1:
            log.info("reconnected to %s; %d subscriptions restored", self.address.url, len(filters))
        self._connected.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self._connected.clear()
        if self._started:
            log.warning("lost MQTT broker %s (%s); reconnecting", self.address.url, reason)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
        with self._lock:
            acked = self._pending_subs.pop(mid, None)
            topic_filter = self._sub_filters.pop(mid, "?")
        if any(getattr(r, "is_failure", False) for r in reasons or []):
            # MQTT 3.1.1 refuses a subscription with 0x80 and says no more; the usual cause is the broker's ACL
            log.error("the MQTT broker %s refused the subscription to %s: this user may not read it. Give it read "
                      "access in the broker's ACL (the smallest ACL iotlm needs: examples/mosquitto/acl)",
                      self.address.url, topic_filter)
            self.refused_subscriptions.append(topic_filter)
        if acked is not None:
            acked.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self._inbox.qsize() >= self.max_backlog:  # a flood faster than the handlers: bounded, never silent
            self.dropped += 1
            if self.dropped in (1, 100) or self.dropped % 10_000 == 0:
                log.warning("%s: %d messages waiting; %d dropped so far (latest on %s)", self.address.url,
                            self._inbox.qsize(), self.dropped, message.topic)
            self._ack(message.mid, message.qos)
            return
        self._inbox.put((message.topic, bytes(message.payload), message.mid, message.qos, bool(message.dup),
                         bool(message.retain)))

    def _ack(self, mid: int, qos: int) -> None:
        if self.session is not None and qos > 0:
            with contextlib.suppress(Exception):  # a connection that went away: the broker will deliver it again
                self._client.ack(mid, qos)

    # ------------------------------------------------------------ dispatcher thread

    def _dispatch(self) -> None:
        while True:
            item = self._inbox.get()
            if item is None:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            topic, payload, mid, qos, dup, retain = item
            if self.session is not None and qos > 0 and self._seen(topic, payload, dup):
                self.redeliveries_skipped += 1  # handled before its acknowledgement was lost (a broker restart)
                self._ack(mid, qos)
                continue
            with self._lock:
                handlers = self._exact.get(topic, []) + [h for f, h in self._wild if topic_matches(f, topic)]
            handlers = list(dict.fromkeys(handlers))  # overlapping filters: each handler once per message
            if retain and any(h in self._fresh_only for h in handlers):
                handlers = [h for h in handlers if h not in self._fresh_only]
                self.retained_skipped += 1
                log.warning("ignored a retained message on %s: requests and confirmations count only when they are sent, "
                            "or they would run again at every restart; clear it with mosquitto_pub -r -n -t '%s'", topic, topic)
            for handler in handlers:
                try:
                    handler(topic, payload)
                except Exception:  # a handler's bug must not stop the others
                    log.exception("handler for %s failed", topic)
            self._ack(mid, qos)  # handled (what it caused is in SQLite): now the broker may forget it

    def _seen(self, topic: str, payload: bytes, dup: bool) -> bool:
        """Whether this is a redelivery of a message handled lately. Only a DUP-flagged message can be one, so the
        same report sent twice on purpose (a button pressed twice) is handled twice."""
        key = hashlib.blake2b(topic.encode() + b"\0" + payload, digest_size=16).digest()
        if dup and key in self._handled:
            return True
        self._handled[key] = None
        self._handled.move_to_end(key)
        while len(self._handled) > HANDLED_MEMORY:
            self._handled.popitem(last=False)
        return False

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every message received so far has been handled."""
        marker = threading.Event()
        self._inbox.put(marker)
        return marker.wait(timeout)


def _match_filter(topic_filter: str) -> str:
    """The topic part of a filter: ``$share/<group>/a/#`` matches what ``a/#`` matches (MQTT 5 shared subscriptions)."""
    if topic_filter.startswith("$share/"):
        parts = topic_filter.split("/", 2)
        return parts[2] if len(parts) == 3 else topic_filter
    return topic_filter


@functools.lru_cache(maxsize=4096)
def _filter_parts(topic_filter: str) -> tuple[str, ...]:
    return tuple(topic_filter.split("/"))


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT filter matching (``+`` one level, ``#`` the rest); paho's builds a trie on every call."""
    parts = _filter_parts(topic_filter)
    levels = topic.split("/")
    for i, part in enumerate(parts):
        if part == "#":
            return not (i == 0 and topic.startswith("$"))
        if i >= len(levels):
            return False
        if part != "+" and part != levels[i]:
            return False
        if i == 0 and part == "+" and topic.startswith("$"):
            return False
    return len(levels) == len(parts)


__all__ = ["HANDLED_MEMORY", "BrokerAddress", "BrokerURLError", "Handler", "Transport", "Will", "parse_broker_url",
    "redact_url", "topic_matches"]
