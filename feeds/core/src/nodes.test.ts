import { describe, expect, it } from 'vitest';
import { XmppError, type NodeConfig, type Pubsub } from '@tickdesk/xmpp';
import { ensureInstrumentNodes, isTransientXmppError, retryTransient } from './nodes.js';

const instruments = [{ symbol: 'BTCUSD' }, { symbol: 'ETHUSD' }] as never;
// What ejabberd answers when Mnesia aborts a pubsub transaction as `cyclic`.
const dbFailure = (what: string) =>
  new XmppError(
    'TICKDESK_XMPP_STANZA_ERROR',
    `${what}: internal-server-error: Database failure`,
    'internal-server-error',
    undefined,
    'wait',
  );
const refusal = (what: string, condition: string) =>
  new XmppError('TICKDESK_XMPP_STANZA_ERROR', `${what}: ${condition}`, condition, undefined, 'cancel');

/** A pubsub service whose next replies to each operation are scripted errors; it records every request and how many were in flight at once. */
function fakePubsub(failures: Record<string, XmppError[]> = {}, existing: string[] = []) {
  const calls: string[] = [];
  const nodes = new Set(existing);
  let inFlight = 0;
  let maxInFlight = 0;
  const op = async (name: string, apply: () => void = () => undefined) => {
    calls.push(name);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 1));
    inFlight -= 1;
    const err = failures[name]?.shift();
    if (err) throw err;
    apply();
  };
  const pubsub = {
    nodes: async () => (await op('nodes'), [...nodes].map((node) => ({ node }))),
    create: (node: string, _config: NodeConfig) =>
      op(`create ${node}`, () => {
        if (nodes.has(node)) throw refusal(`create ${node}`, 'conflict');
        nodes.add(node);
      }),
    configure: (node: string, _config: NodeConfig) => op(`configure ${node}`),
  } as unknown as Pubsub;
  return { pubsub, calls, nodes, maxInFlight: () => maxInFlight };
}

const noWait = { sleep: async () => undefined, random: () => 0.5 };

describe('instrument node creation on a cluster', () => {
  it('retries a create that fails with a transient condition and creates every node, one request at a time', async () => {
    const fake = fakePubsub({
      'create ticks/BTCUSD': [dbFailure('create ticks/BTCUSD'), dbFailure('create ticks/BTCUSD')],
      'create bars/ETHUSD': [dbFailure('create bars/ETHUSD')],
    });
    const made = await ensureInstrumentNodes(fake.pubsub, instruments, undefined, noWait);
    expect(made).toEqual(['ticks/BTCUSD', 'bars/BTCUSD', 'ticks/ETHUSD', 'bars/ETHUSD']);
    expect(fake.calls.filter((c) => c === 'create ticks/BTCUSD')).toHaveLength(3);
    expect(fake.maxInFlight()).toBe(1);
  });

  it('retries a configure of an existing node and disco#items alike', async () => {
    const fake = fakePubsub(
      {
        nodes: [dbFailure('disco#items')],
        'configure ticks/BTCUSD': [
          new XmppError('TICKDESK_XMPP_STANZA_ERROR', 'x', 'resource-constraint', undefined, 'wait'),
        ],
      },
      ['ticks/BTCUSD'],
    );
    const made = await ensureInstrumentNodes(fake.pubsub, instruments, undefined, noWait);
    expect(made).toEqual(['bars/BTCUSD', 'ticks/ETHUSD', 'bars/ETHUSD']);
    expect(fake.calls.filter((c) => c === 'configure ticks/BTCUSD')).toHaveLength(2);
  });

  it('never retries a refusal', async () => {
    const fake = fakePubsub({ 'create ticks/BTCUSD': [refusal('create ticks/BTCUSD', 'forbidden')] });
    await expect(ensureInstrumentNodes(fake.pubsub, instruments, undefined, noWait)).rejects.toMatchObject({
      condition: 'forbidden',
    });
    expect(fake.calls.filter((c) => c === 'create ticks/BTCUSD')).toHaveLength(1);
  });

  it('gives up after the attempts allowed, with the last error', async () => {
    const fake = fakePubsub({
      'create ticks/BTCUSD': Array.from({ length: 10 }, () => dbFailure('create ticks/BTCUSD')),
    });
    await expect(
      ensureInstrumentNodes(fake.pubsub, instruments, undefined, { ...noWait, attempts: 4 }),
    ).rejects.toThrow(/Database failure/);
    expect(fake.calls.filter((c) => c === 'create ticks/BTCUSD')).toHaveLength(4);
  });

  it('configures a node whose create is refused as conflict (an earlier try committed after all)', async () => {
    const fake = fakePubsub({ 'create ticks/BTCUSD': [dbFailure('create ticks/BTCUSD')] });
    // The node appears after disco#items listed the service's nodes (the failed try did commit): the retry meets `conflict`.
    const pubsub = {
      ...fake.pubsub,
      nodes: async () => {
        const listed = await fake.pubsub.nodes();
        fake.nodes.add('ticks/BTCUSD');
        return listed;
      },
    };
    const made = await ensureInstrumentNodes(pubsub, [{ symbol: 'BTCUSD' }] as never, undefined, noWait);
    expect(made).toEqual(['bars/BTCUSD']);
    expect(fake.calls).toContain('configure ticks/BTCUSD');
  });
});

describe('retryTransient', () => {
  it('waits a growing, bounded backoff between tries', async () => {
    const delays: number[] = [];
    let n = 0;
    const result = await retryTransient(
      'x',
      async () => {
        if (++n < 6) throw dbFailure('x');
        return 'ok';
      },
      { sleep: async (ms) => void delays.push(ms), random: () => 0.999, initialMs: 100, maxMs: 500 },
    );
    expect(result).toBe('ok');
    expect(delays).toEqual([100, 200, 400, 500, 500]);
  });

  it('tells transient conditions from refusals and from other failures', () => {
    expect(isTransientXmppError(dbFailure('x'))).toBe(true);
    expect(
      isTransientXmppError(
        new XmppError('TICKDESK_XMPP_STANZA_ERROR', 'x', 'internal-server-error', undefined, 'cancel'),
      ),
    ).toBe(true);
    expect(
      isTransientXmppError(
        new XmppError('TICKDESK_XMPP_STANZA_ERROR', 'x', 'remote-server-timeout', undefined, 'wait'),
      ),
    ).toBe(true);
    for (const c of ['forbidden', 'not-allowed', 'conflict', 'item-not-found', 'bad-request'])
      expect(isTransientXmppError(refusal('x', c))).toBe(false);
    expect(isTransientXmppError(new XmppError('TICKDESK_XMPP_TIMEOUT', 'x: timed out'))).toBe(false);
    expect(isTransientXmppError(new Error('internal-server-error'))).toBe(false);
  });
});

describe('an error reply read from the wire', () => {
  it('keeps its RFC 6120 type, so that a `wait` reply counts as transient', async () => {
    const { xml } = await import('@tickdesk/xmpp');
    const reply = xml(
      'iq',
      { type: 'error' },
      xml('error', { type: 'wait' }, xml('resource-constraint', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })),
    );
    const err = XmppError.fromStanza(reply, 'create ticks/BTCUSD');
    expect(err.errorType).toBe('wait');
    expect(isTransientXmppError(err)).toBe(true);
  });
});
