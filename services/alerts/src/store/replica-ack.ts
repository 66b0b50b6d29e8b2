import type { Redis } from 'ioredis';
import { defineScript } from './redis-script.js';
import { StoreError } from './store-errors.js';

/**
 * When a write counts as done: once `replicas` replicas have it (WAIT), waiting up to
 * `timeoutMs` per try and trying `attempts` times. 0 replicas: once the primary has it
 * (a single Redis with AOF).
 */
export interface ReplicaAckOptions {
  replicas: number;
  timeoutMs: number;
  attempts?: number;
}

/** A write's place in time: which connection it went out on. */
export type AckMark = number;
export type AckVerdict = 'acked' | 'connection-changed';

// Rewrites a hash field with its own value: a write that changes nothing but is
// replicated, so that WAIT on a new connection (whose own write offset is 0 and would
// count every replica at once) waits for the replica to reach this server's data.
const WITNESS_LUA = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], v)
return 1
`;

/** One connection counter per client, however many stores share it. */
const counters = new WeakMap<Redis, { n: number }>();
function connectionsOf(redis: Redis): { n: number } {
  let c = counters.get(redis);
  if (!c) {
    const counter = { n: 0 };
    redis.on('connect', () => (counter.n += 1));
    counters.set(redis, counter);
    c = counter;
  }
  return c;
}

/**
 * WAIT (https://redis.io/commands/wait/) counts the replicas that acknowledged every write
 * this connection made before it. ioredis reconnects transparently (and after a Sentinel
 * fail-over to another server) and resends unanswered commands, so a WAIT may run on a
 * newer connection than the writes it should cover: every 'connect' is counted, and a
 * WAIT whose connection is not the writes' one proves nothing ('connection-changed'): the
 * caller checks what the current primary has, rewrites what it lacks and calls witness().
 */
export function createReplicaAck(redis: Redis, { replicas, timeoutMs, attempts = 3 }: ReplicaAckOptions) {
  if (!Number.isInteger(replicas) || replicas < 0)
    throw new RangeError(`replica acknowledgements: ${replicas} is not a count`);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new RangeError(`replica acknowledgement timeout ${timeoutMs} ms`);
  const conn = connectionsOf(redis);
  const witnessScript = defineScript(redis, 'tdAckWitness', 1, WITNESS_LUA);

  async function waitOn(mark: AckMark): Promise<AckVerdict> {
    let seen = 0;
    for (let i = 0; i < attempts; i++) {
      if (conn.n !== mark) return 'connection-changed';
      try {
        seen = await redis.wait(replicas, timeoutMs);
      } catch (err) {
        // A WAIT lost with its connection, or sent to a primary demoted since (a replica refuses WAIT).
        if (conn.n !== mark) return 'connection-changed';
        throw err;
      }
      if (conn.n !== mark) return 'connection-changed';
      if (seen >= replicas) return 'acked';
    }
    throw new StoreError(
      'TICKDESK_ALERTS_STORE_NOT_ACKNOWLEDGED',
      `written on the Redis primary, but ${seen} of ${replicas} replicas acknowledged it within ${attempts} × ${timeoutMs} ms: not counted as stored`,
    );
  }

  return {
    /** Call before sending the writes to be acknowledged. */
    mark: (): AckMark => conn.n,
    /** After the writes: 'acked' once the replicas have them, or the connection changed in between. */
    confirm: (mark: AckMark): Promise<AckVerdict> => (replicas > 0 ? waitOn(mark) : Promise.resolve('acked')),
    /**
     * The current primary has the writes (the caller checked after 'connection-changed'):
     * replicate a no-change write to `key`'s `field` and WAIT for it on one connection.
     * 'connection-changed' again: check again.
     */
    async witness(key: string, field: string): Promise<AckVerdict> {
      if (replicas === 0) return 'acked';
      const mark = conn.n;
      await witnessScript.run([key], [field]);
      return waitOn(mark);
    },
  };
}
export type ReplicaAck = ReturnType<typeof createReplicaAck>;
