import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { createAckQueue } from './ack-queue.js';
import { MqttFeedError } from './errors.js';
import type { RedeliveryLedger } from './redelivery.js';

export interface SessionOptions {
  url: string;
  options: IClientOptions;
  /** Topic filter subscribed with QoS 1. */
  subscription: string;
  signal: AbortSignal;
  /** On abort, how long to wait for the ticks of received messages to settle before closing. */
  drainMs: number;
  /** Unacknowledged QoS 1 messages at most: the receive maximum the adapter announced. */
  maxUnacked: number;
  /** What earlier connections of this session published (redelivery.ts); outlives the session. */
  ledger: RedeliveryLedger;
  connectImpl?: typeof connect;
  onOpen(sessionPresent: boolean): void;
  /** `settle` acknowledges a QoS 1 message (in order, §4.6); `fail` drops the session unacknowledged. */
  onMessage(packet: IPublishPacket, settle: () => void, fail: (why: Error) => void): void;
  /** The broker sent again a message already published: acknowledged, not published again. */
  onRepeat(packet: IPublishPacket): void;
}

export interface SessionEnd {
  /** How long the session was connected, 0 if it never was. */
  openMs: number;
  error?: Error;
}

// mqtt.js sends a QoS 1 PUBACK once `handleMessage` calls back, and reads no further packet
// meanwhile (MQTT.js issue #691): waiting there for the XMPP publish would take one message per
// round trip. So handleMessage answers at once with this marker, which makes mqtt.js skip its
// PUBACK, and the adapter sends the PUBACK itself once the tick is settled.
const DEFERRED = new Error('PUBACK deferred until the tick is settled');
const noop = (): void => undefined;
type Internal = { _sendPacket(packet: object, cb?: (err?: Error) => void): void };

function sender(client: MqttClient): (messageId: number) => void {
  const internal = client as unknown as Partial<Internal>;
  if (typeof internal._sendPacket !== 'function')
    throw new MqttFeedError(
      'TICKDESK_MQTT_CLIENT',
      'this mqtt.js has no _sendPacket: the acknowledgement cannot be deferred',
    );
  return (messageId) => {
    // A PUBACK of an old connection means nothing on a new one (§4.4): the broker resends instead.
    if (client.connected) internal._sendPacket!({ cmd: 'puback', messageId, reasonCode: 0 });
  };
}

/** One MQTT connection, from connect to close; resolves (never rejects) once it has closed. */
export function runMqttSession(opts: SessionOptions): Promise<SessionEnd> {
  const { signal, connectImpl = connect } = opts;
  return new Promise<SessionEnd>((resolve) => {
    const end: SessionEnd = { openMs: 0 };
    const client = connectImpl(opts.url, { ...opts.options, reconnectPeriod: 0 });
    const acks = createAckQueue(sender(client));
    let openedAt: number | undefined;
    let closing = false;
    // Whether the messages so far are the resumed session's repeats (redelivery.ts).
    let leading = false;
    // Debian's mosquitto 2.0.11 sends more than the receive maximum once PUBACKs flow (MQTT 5 §4.9
    // forbids it; measured 16,663 unacknowledged against 1,000, docs/benchmarks.md), and the feed
    // core would conflate (and so acknowledge) ticks past its per-instrument limit. So at the
    // limit the adapter holds mqtt.js's callback: it reads no further packet, and TCP pushes back.
    let held: (() => void) | undefined;
    const release = (): void => {
      if (held && acks.waiting < opts.maxUnacked) {
        const h = held;
        held = undefined;
        h();
      }
    };
    const close = (error?: Error): void => {
      end.error ??= error;
      closing = true;
      client.end(true);
    };
    const onAbort = (): void => {
      const deadline = performance.now() + opts.drainMs;
      const poll = (): void => {
        if (acks.waiting === 0 || performance.now() >= deadline || !client.connected) client.end(false);
        else setTimeout(poll, 20);
      };
      poll();
    };
    signal.addEventListener('abort', onAbort, { once: true });

    client.handleMessage = (packet, callback) => {
      if (packet.qos === 0) {
        // Nothing to acknowledge, nothing the broker would send again: published if it can be.
        if (!closing) opts.onMessage(packet, noop, noop);
        return callback();
      }
      // A session being dropped acknowledges nothing more: the broker sends it again on the next one.
      if (closing) return callback(DEFERRED);
      const ack = acks.add(packet.messageId!);
      const settle = (): void => {
        ack();
        release();
      };
      const repeat = leading ? opts.ledger.repeat(packet) : undefined;
      if (repeat)
        void repeat.then((published) => {
          if (!published) return close(new Error('a message sent again was not published; the broker will resend it'));
          opts.onRepeat(packet);
          settle();
        });
      else {
        leading = false;
        const record = opts.ledger.received(packet);
        opts.onMessage(
          packet,
          () => {
            record.done();
            settle();
          },
          (why) => {
            record.failed();
            close(why);
          },
        );
      }
      if (acks.waiting < opts.maxUnacked) callback(DEFERRED);
      else held = () => callback(DEFERRED);
    };
    // At the CONNACK itself: mqtt.js may hand over the PUBLISH packets after it before 'connect'.
    // The broker resends its unacknowledged messages first, before anything new (MQTT 5 §4.4).
    client.on('packetreceive', (packet) => {
      if (packet.cmd !== 'connack') return;
      leading = packet.sessionPresent;
      opts.ledger.opened(packet.sessionPresent);
    });
    client.on('connect', (connack) => {
      openedAt = performance.now();
      // rh 1 (MQTT 5 §3.8.3.1): retained messages only for a new subscription, not again at each resumed session.
      client.subscribe(opts.subscription, { qos: 1, rh: 1 }, (err, granted) => {
        const refused = granted?.find((g) => g.qos !== 1 && g.qos !== 0);
        if (err ?? refused) close(err ?? new Error(`subscription to ${opts.subscription} refused`));
        else opts.onOpen(connack.sessionPresent);
      });
    });
    client.on('error', (err: Error) => {
      end.error ??= err;
    });
    client.on('close', () => {
      if (openedAt !== undefined && end.openMs === 0) end.openMs = performance.now() - openedAt;
      // reconnectPeriod 0: mqtt.js stays closed; the adapter's own loop reconnects with backoff.
      client.end(true, () => {
        signal.removeEventListener('abort', onAbort);
        resolve(end);
      });
    });
    if (signal.aborted) onAbort();
  });
}
