#!/usr/bin/python3
"""Subscribe to a tickdesk instrument node with slixmpp and print its ticks.

An interoperability check written against docs/protocol.md only: it shares no
code with the desk. It logs in with STARTTLS (server certificate verified
against the desk CA, host name checked) and SCRAM-SHA-1, lists the nodes of
the pubsub service (XEP-0030 disco#items), subscribes to one node (XEP-0060
§6.1), decodes each <ticks xmlns='urn:tickdesk:ticks:1'/> payload with its own
strict parser, prints one JSON object per tick on stdout (the fields of
schemas/json/Tick.schema.json), then unsubscribes (§6.2) and exits.

The payload (docs/protocol.md §6.1) carries the first tick's seq and event time
as attributes; its text holds the ticks separated by ";", each one
"seq-offset price size side event-offset ingest-offset", the offsets of the
times in microseconds. The parser adds them in integers (exact) and prints the
times as XEP-0082 UTC with six fractional digits. The retired revision
urn:tickdesk:ticks:0 (one line per tick, full timestamps) is rejected.

Status lines ("connected", "node ...", "subscribed ...", "gap ...") go to
stderr, so stdout carries tick JSON lines only.

Needs Debian's python3-slixmpp (1.8.x); run it with /usr/bin/python3:

    /usr/bin/python3 test/interop/slixmpp_ticks.py --jid ana@desk.localhost \\
        --password-file pw.txt --ca .tickdesk/certs/ca.crt --count 5

Exit status: 0 success, 2 bad usage, 3 authentication failed, 4 TLS failed,
5 request refused by the service (e.g. forbidden), 6 timed out, 7 server
unreachable or connection lost, 8 a received item was malformed, 130
interrupted (SIGINT/SIGTERM; it still unsubscribes first).
"""

import argparse
import asyncio
import json
import logging
import re
import signal
import ssl
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

try:
    import slixmpp
    from slixmpp.exceptions import IqError, IqTimeout
except ImportError:  # pragma: no cover - depends on the host
    sys.stderr.write("slixmpp_ticks: slixmpp is not importable; install python3-slixmpp and run with /usr/bin/python3\n")
    sys.exit(2)

NS_TICKS = "urn:tickdesk:ticks:1"
SIDES = {"b": "buy", "s": "sell", "u": "unknown"}
MAX_TICKS = 100_000
MAX_SEQ = 2**53 - 1  # schemas/json/Tick.schema.json: seq is a JSON-safe integer
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_MICROSECOND = timedelta(microseconds=1)
# Decoded times lie in 0 .. 2^53-1 microseconds after the epoch
# (1970-01-01T00:00:00.000000Z .. 2255-06-05T23:47:34.740991Z).
MAX_MICROS = 2**53 - 1
XML_SPACE = " \t\r\n"  # XML white space, ignored around each tick

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
EXIT_AUTH, EXIT_TLS, EXIT_REFUSED, EXIT_TIMEOUT, EXIT_UNREACHABLE, EXIT_MALFORMED = 3, 4, 5, 6, 7, 8
EXIT_INTERRUPTED = 130

# docs/protocol.md, "Tick batches". [0-9] rather than \d: \d also matches non-ASCII digits.
SYMBOL_RE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,31}")
UINT_RE = re.compile(r"0|[1-9][0-9]{0,15}")
OFFSET_RE = re.compile(r"-?(0|[1-9][0-9]{0,15})")
DECIMAL_RE = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")
# A sensor's value (kind='sensor'): the decimal with an optional minus sign, never "-0".
SIGNED_RE = re.compile(r"(?!-0(\.0+)?$)-?(0|[1-9][0-9]*)(\.[0-9]+)?")
TIMESTAMP_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?Z")


class Malformed(Exception):
    """A payload that breaks docs/protocol.md; the whole item is rejected."""


def _decimal(text):
    return len(text) <= 40 and DECIMAL_RE.fullmatch(text) is not None


def _signed(text):
    return len(text) <= 40 and SIGNED_RE.fullmatch(text) is not None


def _quote(text):
    return json.dumps(text, ensure_ascii=False)


def _timestamp_micros(text):
    """XEP-0082 UTC timestamp -> integer microseconds since the epoch, or None.

    Digits after the sixth fractional one are dropped (truncated, not rounded).
    """
    m = TIMESTAMP_RE.fullmatch(text)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    if h > 23 or mi > 59 or s > 59:
        return None
    try:
        dt = datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc)
    except ValueError:  # 2026-02-30, year 0000, ...
        return None
    frac = (m.group(7) or ".")[1:]
    return (dt - EPOCH) // ONE_MICROSECOND + int((frac + "000000")[:6])


def _format_micros(micros):
    """Integer microseconds since the epoch -> YYYY-MM-DDTHH:MM:SS.ffffffZ, exactly."""
    t = EPOCH + timedelta(microseconds=micros)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond)


def _offset_time(base, offset):
    """@time plus an offset field in microseconds, formatted; None when malformed or out of range."""
    if not OFFSET_RE.fullmatch(offset):
        return None
    micros = base + int(offset)
    if not 0 <= micros <= MAX_MICROS:
        return None
    return _format_micros(micros)


def parse_ticks(el, node_symbol=None):
    """Strictly decode one <ticks/> element into (symbol, conflated, [tick dict]).

    Any malformed part raises Malformed: nothing of the item is used. The rules
    are those of docs/protocol.md §6.1.2.
    """
    if el.tag != "{%s}ticks" % NS_TICKS:
        raise Malformed("payload is %s, not {%s}ticks" % (el.tag, NS_TICKS))
    symbol = el.get("symbol")
    if symbol is None or not SYMBOL_RE.fullmatch(symbol):
        raise Malformed("missing or invalid symbol attribute")
    if node_symbol is not None and symbol != node_symbol:
        raise Malformed("symbol %r does not match the node's %r" % (symbol, node_symbol))
    count_text = el.get("count")
    if count_text is None or not UINT_RE.fullmatch(count_text):
        raise Malformed("missing or invalid count attribute")
    count = int(count_text)
    if not 1 <= count <= MAX_TICKS:
        raise Malformed("count %d out of range 1..%d" % (count, MAX_TICKS))
    seq_text = el.get("seq")
    if seq_text is None or not UINT_RE.fullmatch(seq_text):
        raise Malformed("missing or invalid seq attribute")
    base_seq = int(seq_text)
    if base_seq > MAX_SEQ:
        raise Malformed("seq %s above 2^53-1" % seq_text)
    time_text = el.get("time")
    base_time = None if time_text is None else _timestamp_micros(time_text)
    if base_time is None:
        raise Malformed("missing or invalid time attribute")
    conflated = 0
    if el.get("conflated") is not None:
        if not UINT_RE.fullmatch(el.get("conflated")):
            raise Malformed("invalid conflated attribute")
        conflated = int(el.get("conflated"))
    kind = el.get("kind")
    if kind is not None and kind != "sensor":
        raise Malformed("invalid kind attribute")
    if len(el) > 0:
        raise Malformed("unexpected child element")
    parts = (el.text or "").split(";")
    if len(parts) != count:
        raise Malformed("count says %d ticks, payload has %d" % (count, len(parts)))
    ticks = []
    prev = -1
    for i, part in enumerate(parts, 1):
        fields = part.strip(XML_SPACE).split(" ")
        if len(fields) != 6:
            raise Malformed("tick %d: expected 6 fields, got %d" % (i, len(fields)))
        seq_offset, price, size, side, event_offset, ingest_offset = fields
        if not UINT_RE.fullmatch(seq_offset):
            raise Malformed("tick %d: invalid seq offset %s" % (i, _quote(seq_offset)))
        seq = base_seq + int(seq_offset)
        if seq > MAX_SEQ:
            raise Malformed("tick %d: seq %d + %s above 2^53-1" % (i, base_seq, seq_offset))
        if seq <= prev:
            raise Malformed("tick %d: seq %d not above %d" % (i, seq, prev))
        prev = seq
        if kind == "sensor":
            if not _signed(price):
                raise Malformed("tick %d: price %s is not a signed decimal" % (i, _quote(price)))
        elif not _decimal(price) or not re.search("[1-9]", price):
            raise Malformed("tick %d: price %s is not a positive decimal" % (i, _quote(price)))
        if not _decimal(size):
            raise Malformed("tick %d: size %s is not a decimal" % (i, _quote(size)))
        if side not in SIDES:
            raise Malformed("tick %d: invalid side %s" % (i, _quote(side)))
        event_time = _offset_time(base_time, event_offset)
        if event_time is None:
            raise Malformed("tick %d: invalid event time offset %s" % (i, _quote(event_offset)))
        ingest_time = _offset_time(base_time, ingest_offset)
        if ingest_time is None:
            raise Malformed("tick %d: invalid ingest time offset %s" % (i, _quote(ingest_offset)))
        ticks.append({
            "symbol": symbol,
            "seq": seq,
            "price": price,
            "size": size,
            "side": SIDES[side],
            "eventTime": event_time,
            "ingestTime": ingest_time,
        })
    return symbol, conflated, ticks


def status(text):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class Failure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class TickClient(slixmpp.ClientXMPP):
    def __init__(self, args, password):
        # SCRAM-SHA-1 only (the desk disables PLAIN): the password never crosses the wire.
        super().__init__(args.jid, password, sasl_mech="SCRAM-SHA-1")
        self.args = args
        self.service = slixmpp.JID(args.service)
        self.node = args.node
        self.node_symbol = args.node.split("/", 1)[1]
        self.printed = 0
        self.malformed = 0
        self.seen_items = set()
        self.last_seq = None
        self.auth_condition = None
        self.subscribed = False
        self.outcome = self.loop.create_future()

        # Trust the desk CA and nothing else. The TLS server name is the JID's domain
        # (slixmpp passes default_domain as server_hostname) even though we connect to
        # an IP address, and check_hostname stays on.
        self.ssl_context = ssl.create_default_context(cafile=args.ca)
        self.ssl_context.check_hostname = True
        self.ssl_context.verify_mode = ssl.CERT_REQUIRED
        self.ca_certs = Path(args.ca)  # else get_ssl_context() adds the system store

        self.register_plugin("xep_0030")
        self.register_plugin("xep_0060")
        self.add_event_handler("connected", lambda _: status("connected %s:%d" % (args.host, args.port)))
        self.add_event_handler("ssl_invalid_chain", self.on_tls_failure)
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("failed_all_auth", self.on_failed_all_auth)
        self.add_event_handler("connection_failed", self.on_connection_failed)
        self.add_event_handler("stream_error", self.on_stream_error)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("pubsub_publish", self.on_publish)

    async def get_dns_records(self, domain, port=None):
        # Connect to exactly --host/--port. Without this, slixmpp resolves the JID's
        # domain and, when it resolves (*.localhost often does), dials the default port.
        return [(domain, self.address[0], self.address[1])]

    def fail(self, code, message):
        if not self.outcome.done():
            self.outcome.set_exception(Failure(code, message))

    def on_tls_failure(self, err):
        self.fail(EXIT_TLS, "TLS to %s:%d failed: %s (is --ca the desk's CA, %s?)" % (self.args.host, self.args.port, err, self.args.ca))
        self.abort()

    def on_failed_auth(self, stanza):
        self.auth_condition = stanza["condition"] or "failure"

    def on_failed_all_auth(self, _):
        cond = self.auth_condition or "no acceptable mechanism (SCRAM-SHA-1 required)"
        self.fail(EXIT_AUTH, "authentication as %s failed: %s" % (self.boundjid.bare, cond))

    def on_connection_failed(self, err):
        self.fail(EXIT_UNREACHABLE, "cannot connect to %s:%d: %s" % (self.args.host, self.args.port, err))
        self.cancel_connection_attempt()

    def on_stream_error(self, err):
        self.fail(EXIT_UNREACHABLE, "stream error from the server: %s %s" % (err["condition"], err["text"]))

    def on_disconnected(self, reason):
        self.fail(EXIT_UNREACHABLE, "connection closed%s" % (": %s" % reason if reason else ""))

    async def on_session_start(self, _):
        try:
            await self.run_session()
        except IqError as e:
            err = e.iq["error"]
            app = [c.tag.split("}")[-1] for c in err.xml if not c.tag.startswith("{urn:ietf:params:xml:ns:xmpp-stanzas}")]
            detail = err["condition"] + (" (%s)" % ", ".join(app) if app else "") + (": %s" % err["text"] if err["text"] else "")
            self.fail(EXIT_REFUSED, "%s refused by %s: %s" % (getattr(e, "what", "request"), self.service, detail))
        except IqTimeout:
            self.fail(EXIT_TIMEOUT, "no answer from %s in time" % self.service)
        except Failure as f:
            self.fail(f.code, str(f))
        except Exception as e:  # noqa: BLE001 - report anything as a failure, never hang
            self.fail(EXIT_ERROR, "unexpected error: %r" % e)

    async def run_session(self):
        status("logged in as %s" % self.boundjid.full)
        # XEP-0060 §12.2: notifications of type headline go to available resources only.
        self.send_presence()
        iq = await self._ask("disco#items", self["xep_0030"].get_items(jid=self.service, timeout=self.args.timeout))
        for jid, node, name in sorted(iq["disco_items"]["items"], key=lambda t: t[1] or ""):
            status("node %s%s" % (node, " (%s)" % name if name else ""))
        res = await self._ask("subscribe %s" % self.node, self["xep_0060"].subscribe(self.service, self.node, timeout=self.args.timeout))
        state = res["pubsub"]["subscription"]["subscription"] or "subscribed"
        if state != "subscribed":
            raise Failure(EXIT_REFUSED, "subscription to %s is %s, not subscribed" % (self.node, state))
        self.subscribed = True
        status("subscribed %s %s as %s" % (self.service, self.node, self.boundjid.bare))

    async def _ask(self, what, awaitable):
        try:
            return await awaitable
        except IqError as e:
            e.what = what
            raise

    def on_publish(self, msg):
        # Only events from the pubsub service count (docs/protocol.md, Security).
        if msg["from"].full != self.service.full:
            status("ignored a pubsub event from %s" % msg["from"])
            return
        items = msg["pubsub_event"]["items"]
        if items["node"] != self.node or not self.subscribed or self.outcome.done():
            return
        # slixmpp raises this event once per item, each time with the whole message, from
        # inside its own iteration over the stanza; iterating the stanza here too would
        # reset that shared iterator (an endless loop). Read the XML and de-duplicate.
        for item in items.xml.findall("{http://jabber.org/protocol/pubsub#event}item"):
            item_id = item.get("id", "")
            if item_id in self.seen_items:
                continue
            self.seen_items.add(item_id)
            self.handle_item(item_id, list(item))

    def handle_item(self, item_id, children):
        try:
            if len(children) != 1:
                raise Malformed("item carries %d payload elements, expected 1" % len(children))
            _, conflated, ticks = parse_ticks(children[0], self.node_symbol)
        except Malformed as e:
            self.malformed += 1
            status("rejected item %s: %s" % (item_id, e))
            return
        if conflated:
            status("gap: %d ticks conflated by the publisher before seq %d" % (conflated, ticks[0]["seq"]))
        if self.last_seq is not None and ticks[0]["seq"] <= self.last_seq:
            status("note: seq %d after %d (publisher restarted?)" % (ticks[0]["seq"], self.last_seq))
        self.last_seq = ticks[-1]["seq"]
        for tick in ticks:
            if self.printed >= self.args.count:
                break
            sys.stdout.write(json.dumps(tick, separators=(",", ":")) + "\n")
            self.printed += 1
        sys.stdout.flush()
        if self.printed >= self.args.count and not self.outcome.done():
            self.outcome.set_result(None)

    async def run(self):
        failure = None
        try:
            await asyncio.wait_for(asyncio.shield(self.outcome), self.args.timeout)
        except asyncio.TimeoutError:
            what = "%d of %d ticks" % (self.printed, self.args.count) if self.subscribed else "no subscription"
            failure = Failure(EXIT_TIMEOUT, "timed out after %gs (%s)" % (self.args.timeout, what))
            self.outcome.cancel()
        except Failure as f:
            failure = f
        self.del_event_handler("disconnected", self.on_disconnected)
        if self.subscribed and self.is_connected():
            # Always leave: a subscription of the bare JID outlives this session.
            try:
                await self["xep_0060"].unsubscribe(self.service, self.node, timeout=10)
                status("unsubscribed %s" % self.node)
            except (IqError, IqTimeout) as e:
                failure = failure or Failure(EXIT_ERROR, "unsubscribe %s failed: %s" % (self.node, e))
        if failure:
            raise failure
        if self.malformed:
            raise Failure(EXIT_MALFORMED, "%d malformed item(s) rejected" % self.malformed)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Subscribe to a tickdesk node with slixmpp and print ticks as JSON lines.")
    p.add_argument("--jid", required=True, help="account JID, e.g. ana@desk.localhost")
    pw = p.add_mutually_exclusive_group(required=True)
    pw.add_argument("--password", help="account password (visible to other local users in ps; prefer --password-file)")
    pw.add_argument("--password-file", help="file whose first line is the password")
    p.add_argument("--ca", required=True, help="PEM file of the desk CA (<TICKDESK_HOME>/certs/ca.crt)")
    p.add_argument("--host", default="127.0.0.1", help="address to connect to (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=5222, help="client port, STARTTLS (default 5222)")
    p.add_argument("--service", help="pubsub service JID (default pubsub.<JID domain>)")
    p.add_argument("--node", default="ticks/BTCUSDT", help="node to subscribe to (default ticks/BTCUSDT)")
    p.add_argument("--count", type=int, default=10, help="stop after this many ticks (default 10)")
    p.add_argument("--timeout", type=float, default=30.0, help="give up after this many seconds (default 30)")
    p.add_argument("--debug", action="store_true", help="log slixmpp's stanzas to stderr")
    args = p.parse_args(argv)
    if "@" not in args.jid:
        p.error("--jid must be user@domain")
    if not re.fullmatch(r"ticks/[A-Z0-9][A-Z0-9._-]{0,31}", args.node):
        p.error("--node must be a ticks/<SYMBOL> node, e.g. ticks/BTCUSDT")
    if args.count < 1:
        p.error("--count must be at least 1")
    if args.timeout <= 0:
        p.error("--timeout must be positive")
    if not Path(args.ca).is_file():
        p.error("--ca %s is not a file" % args.ca)
    if args.service is None:
        args.service = "pubsub." + slixmpp.JID(args.jid).domain
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.CRITICAL, format="%(levelname)s %(message)s")
    password = args.password
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            password = f.readline().rstrip("\r\n")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    client = TickClient(args, password)
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Leave cleanly (unsubscribe) on Ctrl-C or kill.
        loop.add_signal_handler(sig, client.fail, EXIT_INTERRUPTED, "interrupted by %s" % signal.Signals(sig).name)
    code = EXIT_OK
    try:
        client.connect(address=(args.host, args.port), force_starttls=True, disable_starttls=False)
        loop.run_until_complete(client.run())
    except Failure as f:
        status("slixmpp_ticks: %s" % f)
        code = f.code
    finally:
        client.cancel_connection_attempt()
        if client.is_connected():
            loop.run_until_complete(client.disconnect(wait=2))
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
    if code == EXIT_OK:
        status("done: %d ticks" % client.printed)
    return code


if __name__ == "__main__":
    sys.exit(main())
