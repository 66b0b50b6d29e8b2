#!/usr/bin/python3
"""Watch a tickdesk desk's audit feed with slixmpp, checking every record.

An interoperability check written against docs/protocol.md §13 only: it shares no
code with the desk. It logs in with STARTTLS (the desk CA, host name checked) and
SCRAM-SHA-1, subscribes to the node `audit` (XEP-0060 §6.1), and for each
<record xmlns='urn:tickdesk:audit:0'/> it receives rebuilds the canonical array
[seq, time, alertId, trader, symbol, event, detail or "", stanzaHash, prevHash]
(JSON without whitespace), checks its HMAC-SHA256 with the audit key (--key) when
the record is keyed, and checks that each record links to the one before it
(prevHash, seq + 1). It prints one JSON object per record on stdout (the fields of a
line of the REST export), then unsubscribes and exits.

    /usr/bin/python3 test/interop/slixmpp_audit.py --jid carol@desk.localhost \\
        --password-file pw.txt --ca .tickdesk/certs/ca.crt --key-file .tickdesk/credentials.json --count 5

Exit status: 0 success, 2 bad usage, 5 refused by the service (a trader: forbidden),
6 timed out, 7 connection lost, 8 a record is malformed, altered or unlinked.
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import logging
import ssl
import sys
from pathlib import Path

try:
    import slixmpp
    from slixmpp.exceptions import IqError, IqTimeout
except ImportError:  # pragma: no cover - depends on the host
    sys.stderr.write("slixmpp_audit: install python3-slixmpp and run with /usr/bin/python3\n")
    sys.exit(2)

NS_AUDIT = "urn:tickdesk:audit:0"
FIELDS = ("time", "alertId", "trader", "symbol", "event", "stanzaHash", "prevHash", "hash")
EXIT_OK, EXIT_USAGE, EXIT_REFUSED, EXIT_TIMEOUT, EXIT_LOST, EXIT_BAD = 0, 2, 5, 6, 7, 8


def status(text):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class Failure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def parse_record(el):
    """The record a payload carries, as a dict with the export's field names; Failure when malformed."""
    if el.tag != "{%s}record" % NS_AUDIT:
        raise Failure(EXIT_BAD, "payload is %s, not {%s}record" % (el.tag, NS_AUDIT))
    seq = el.get("seq", "")
    if not seq.isascii() or not seq.isdigit() or seq.startswith("0"):
        raise Failure(EXIT_BAD, "malformed seq %r" % seq)
    rec = {"seq": int(seq)}
    for f in FIELDS:
        if el.get(f) is None:
            raise Failure(EXIT_BAD, "record %s lacks %s" % (seq, f))
        rec[f] = el.get(f)
    if el.text:
        rec["detail"] = el.text
    if el.get("keyId") is not None:
        rec["keyId"] = el.get("keyId")
    return rec


def canonical(r):
    body = [r["seq"], r["time"], r["alertId"], r["trader"], r["symbol"], r["event"], r.get("detail", ""), r["stanzaHash"], r["prevHash"]]
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class AuditClient(slixmpp.ClientXMPP):
    def __init__(self, args, password, key):
        super().__init__(args.jid, password, sasl_mech="SCRAM-SHA-1")
        self.args, self.key = args, key
        self.service = slixmpp.JID(args.service)
        self.records, self.seen, self.last = [], set(), None
        self.subscribed = False
        self.outcome = self.loop.create_future()
        self.ssl_context = ssl.create_default_context(cafile=args.ca)
        self.ca_certs = Path(args.ca)
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0060")
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("pubsub_publish", self.on_publish)
        self.on_lost = lambda reason: self.fail(EXIT_LOST, "connection closed %s" % (reason or ""))
        self.add_event_handler("disconnected", self.on_lost)
        self.add_event_handler("failed_all_auth", lambda _: self.fail(EXIT_REFUSED, "authentication failed"))

    async def get_dns_records(self, domain, port=None):
        return [(domain, self.address[0], self.address[1])]

    def fail(self, code, message):
        if not self.outcome.done():
            self.outcome.set_exception(Failure(code, message))

    async def on_session_start(self, _):
        self.send_presence()
        try:
            await self["xep_0060"].subscribe(self.service, "audit", timeout=self.args.timeout)
        except IqError as e:
            return self.fail(EXIT_REFUSED, "subscribe audit refused: %s" % e.iq["error"]["condition"])
        except IqTimeout:
            return self.fail(EXIT_TIMEOUT, "no answer to subscribe")
        self.subscribed = True
        status("subscribed audit as %s" % self.boundjid.bare)

    def on_publish(self, msg):
        if msg["from"].full != self.service.full or self.outcome.done():
            return
        items = msg["pubsub_event"]["items"]
        if items["node"] != "audit":
            return
        for item in items.xml.findall("{http://jabber.org/protocol/pubsub#event}item"):
            try:
                self.handle(item)
            except Failure as f:
                self.fail(f.code, str(f))
                return

    def handle(self, item):
        rec = parse_record(list(item)[0])
        if rec["seq"] in self.seen:
            return  # published again (docs/protocol.md §13.3): dropped
        self.seen.add(rec["seq"])
        if str(rec["seq"]) != item.get("id"):
            raise Failure(EXIT_BAD, "item id %s is not the record's seq %d" % (item.get("id"), rec["seq"]))
        if "keyId" in rec:
            if self.key is None:
                raise Failure(EXIT_BAD, "record %d is keyed: --key needed" % rec["seq"])
            mac = hmac.new(self.key, canonical(rec), hashlib.sha256).hexdigest()
        else:
            mac = hashlib.sha256(canonical(rec)).hexdigest()
        if not hmac.compare_digest(mac, rec["hash"]):
            raise Failure(EXIT_BAD, "record %d was altered: its hash does not match its content" % rec["seq"])
        if self.last is not None and (rec["seq"] != self.last["seq"] + 1 or rec["prevHash"] != self.last["hash"]):
            raise Failure(EXIT_BAD, "record %d does not link to record %d" % (rec["seq"], self.last["seq"]))
        self.last = rec
        sys.stdout.write(json.dumps(rec, separators=(",", ":"), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        self.records.append(rec)
        if len(self.records) >= self.args.count:
            self.outcome.set_result(None)

    async def run(self):
        failure = None
        try:
            await asyncio.wait_for(asyncio.shield(self.outcome), self.args.timeout)
        except asyncio.TimeoutError:
            failure = Failure(EXIT_TIMEOUT, "timed out with %d of %d records" % (len(self.records), self.args.count))
        except Failure as f:
            failure = f
        self.del_event_handler("disconnected", self.on_lost)
        if self.subscribed and self.is_connected():
            try:
                await self["xep_0060"].unsubscribe(self.service, "audit", timeout=10)
            except (IqError, IqTimeout):
                pass
        if failure:
            raise failure


def main():
    p = argparse.ArgumentParser(description="Watch the tickdesk audit node and check each record.")
    p.add_argument("--jid", required=True)
    p.add_argument("--password-file", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5222)
    p.add_argument("--service")
    p.add_argument("--key-file", help="the desk's credentials.json (its audit.key)")
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--timeout", type=float, default=30.0)
    args = p.parse_args()
    args.service = args.service or "pubsub." + slixmpp.JID(args.jid).domain
    logging.basicConfig(level=logging.CRITICAL)
    with open(args.password_file, encoding="utf-8") as f:
        password = f.readline().rstrip("\r\n")
    key = None
    if args.key_file:
        raw = json.loads(Path(args.key_file).read_text(encoding="utf-8"))["audit"]["key"]
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    client = AuditClient(args, password, key)
    code = EXIT_OK
    try:
        client.connect(address=(args.host, args.port), force_starttls=True, disable_starttls=False)
        loop.run_until_complete(client.run())
    except Failure as f:
        status("slixmpp_audit: %s" % f)
        code = f.code
    finally:
        if client.is_connected():
            loop.run_until_complete(client.disconnect(wait=2))
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
