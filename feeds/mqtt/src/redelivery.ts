import { createHash } from 'node:crypto';
import type { IPublishPacket } from 'mqtt';

/**
 * Which QoS 1 messages of the broker's session the adapter has already published, by packet
 * identifier, so that one the broker sends again is acknowledged without a second tick.
 *
 * The broker sends again (DUP set, same packet identifier) every message whose PUBACK it did
 * not receive before the connection ended (MQTT 5 §4.4, §3.3.1.1). A PUBACK can be lost after
 * the tick was published: when the broker stops with PUBACKs in its socket, or when a slow
 * publish reply comes after the connection has dropped. Until the broker has the PUBACK the
 * packet identifier stays in use (§2.2.1), so a redelivery with the same identifier and the
 * same topic, payload and time is that message, not a new one.
 *
 * Only the leading run of a resumed session counts: the broker resends its unacknowledged
 * messages first and in their order (§4.6), so skipping that run's already-published prefix
 * keeps the ticks in order. From the first message that is not such a repeat on, the session
 * publishes everything. A session the broker did not keep (session present 0) forgets it all.
 * Memory: one entry per packet identifier, so at most 65,535 (a 32-byte digest each).
 *
 * A lost PUBACK is one of the last the adapter sent, so only the last `recent` messages
 * received count: mosquitto numbers its packets up to 65,535 before it uses an identifier
 * again, and an equal reading that reuses an old identifier is then never taken for a repeat.
 */
const RECENT_MESSAGES = 10_000;

export function createRedeliveryLedger(recent = RECENT_MESSAGES) {
  interface Entry {
    digest: string;
    /** Which message received this was (count of messages received). */
    n: number;
    state: 'pending' | 'done';
    waiters: Array<(published: boolean) => void>;
  }
  const entries = new Map<number, Entry>();
  let received = 0;
  const digestOf = (packet: IPublishPacket): string => {
    const time = packet.properties?.userProperties?.time;
    return createHash('sha256')
      .update(packet.topic)
      .update('\0')
      .update(packet.payload)
      .update('\0')
      .update(JSON.stringify(time ?? null))
      .digest('base64');
  };
  const finish = (entry: Entry, published: boolean): void => {
    const waiters = entry.waiters;
    entry.waiters = [];
    waiters.forEach((w) => w(published));
  };

  return {
    /** A connection opened; without the broker's session nothing it sends is a repeat. */
    opened(sessionPresent: boolean): void {
      if (!sessionPresent) entries.clear();
    },
    /**
     * A repeat of a message already received: resolves true once that one is published (or
     * refused) for good, false if its tick failed. Undefined: a message to publish.
     */
    repeat(packet: IPublishPacket): Promise<boolean> | undefined {
      if (!packet.dup) return undefined;
      const entry = entries.get(packet.messageId!);
      if (!entry || received - entry.n >= recent || entry.digest !== digestOf(packet)) return undefined;
      if (entry.state === 'done') return Promise.resolve(true);
      return new Promise((resolve) => entry.waiters.push(resolve));
    },
    /** A message to publish arrived; tell the result how its tick ended. */
    received(packet: IPublishPacket): { done(): void; failed(): void } {
      const entry: Entry = { digest: digestOf(packet), n: ++received, state: 'pending', waiters: [] };
      entries.set(packet.messageId!, entry);
      return {
        done() {
          entry.state = 'done';
          finish(entry, true);
        },
        failed() {
          if (entries.get(packet.messageId!) === entry) entries.delete(packet.messageId!);
          finish(entry, false);
        },
      };
    },
  };
}
export type RedeliveryLedger = ReturnType<typeof createRedeliveryLedger>;
