import { beforeAll, describe, expect, it } from 'vitest';
import { createAuditChain } from './audit-chain.js';
import { createReplicaAck } from './replica-ack.js';
import { usePrivateRedis, until } from './redis.test-util.js';

// A Redis without replicas: nothing written with `ack` may count as stored.
const redis = usePrivateRedis({ flush: false });
beforeAll(() => redis.client.ping()); // connected before any ack counts connections

describe('replica acknowledgement', () => {
  it('acknowledges at once with 0 replicas, and never with 1 on a server that has none', async () => {
    expect(await createReplicaAck(redis.client, { replicas: 0, timeoutMs: 10 }).confirm(0)).toBe('acked');
    const ack = createReplicaAck(redis.client, { replicas: 1, timeoutMs: 20, attempts: 2 });
    const mark = ack.mark();
    await redis.client.set('x', '1');
    await expect(ack.confirm(mark)).rejects.toMatchObject({ code: 'TICKDESK_ALERTS_STORE_NOT_ACKNOWLEDGED' });
  });

  it('says the connection changed when the writes went out on an earlier one', async () => {
    const ack = createReplicaAck(redis.client, { replicas: 1, timeoutMs: 20 });
    const mark = ack.mark();
    await redis.client.set('x', '2');
    const before = redis.client.status;
    redis.client.disconnect(true);
    await until(() => redis.client.status === 'ready' && before === 'ready');
    // A WAIT on the new connection would count the replicas of offset 0: it must not be trusted.
    expect(await ack.confirm(mark)).toBe('connection-changed');
  });

  it('rejects an audit append that no replica acknowledged, and writes it once', async () => {
    await redis.client.flushall();
    const audit = createAuditChain({ redis: redis.client, ack: { replicas: 1, timeoutMs: 20, attempts: 1 } });
    await expect(
      audit.append({ alertId: 'a1', trader: 'alice', symbol: 'BTCUSDT', event: 'fired', stanzaHash: '' }),
    ).rejects.toMatchObject({ code: 'TICKDESK_ALERTS_STORE_NOT_ACKNOWLEDGED' });
    expect(await redis.client.xlen('td:{audit}:log')).toBe(1);
  });
});
