import { describe, expect, it } from 'vitest';
import { REDIS_ACL, type RedisServiceUser } from '@tickdesk/infra';
import {
  alertKeys,
  auditKeys,
  directoryKeys,
  engineKeys,
  escalationKeys,
  leaseKeys,
  marketKeys,
  rateKeys,
  ruleKeys,
} from './keys.js';

/** Redis glob (`*`, `?`, `[…]`) as a RegExp; braces and the rest are literal. */
function glob(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i);
      re += pattern.slice(i, end + 1);
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** What a user may do with a key (`~` read-write, `%R~` read) or a channel (`&`). */
function rights(user: RedisServiceUser) {
  const tokens = REDIS_ACL[user].split(/\s+/);
  const patterns = (prefix: string) =>
    tokens.filter((t) => t.startsWith(prefix)).map((t) => glob(t.slice(prefix.length)));
  const rw = patterns('~');
  const ro = patterns('%R~');
  const channels = patterns('&');
  return {
    write: (key: string) => rw.some((p) => p.test(key)),
    read: (key: string) => rw.some((p) => p.test(key)) || ro.some((p) => p.test(key)),
    channel: (name: string) => channels.some((p) => p.test(name)),
  };
}

const audit = auditKeys();
const alerts = alertKeys();
const rules = ruleKeys();
const engine = engineKeys();
const market = marketKeys();
const dir = directoryKeys();

// Writers and readers as docs/architecture.md ("Redis key layout") gives them.
const FAMILIES: Array<{ keys: string[]; write: RedisServiceUser[]; read: RedisServiceUser[] }> = [
  { keys: [dir.users], write: ['desk', 'api'], read: ['alerts'] },
  { keys: [dir.presence], write: ['alerts'], read: ['api'] },
  {
    keys: [market.last, market.ticks('BTCUSDT'), market.candles('1m', 'BTCUSDT'), market.final('BTCUSDT')],
    write: ['recorder'],
    read: ['api'],
  },
  { keys: [market.recorded('BTCUSDT')], write: ['recorder'], read: [] },
  { keys: [engine.heartbeat], write: ['alerts'], read: ['api'] },
  { keys: [engine.watermark, engine.fired], write: ['alerts'], read: [] },
  {
    keys: [
      alerts.alert('a1'),
      alerts.outbox,
      alerts.held,
      alerts.byTime,
      alerts.byTrader('alice'),
      alerts.bySymbol('BTCUSDT'),
      alerts.byState('sent'),
      alerts.fence,
      alerts.onceFired,
      alerts.rateRule('r1'),
      alerts.rateOwner('alice'),
    ],
    write: ['alerts', 'api'],
    read: [],
  },
  {
    keys: [audit.log, audit.head, audit.byTime, audit.trader('alice'), audit.symbol('BTCUSDT'), audit.alert('a1')],
    write: ['alerts'],
    read: ['api'],
  },
  { keys: [rules.rule('r1'), rules.ids, rules.owner('alice')], write: ['alerts', 'api'], read: [] },
  // Chains and due steps by the engine, trader defaults by the API (PUT /v1/me/escalation).
  { keys: Object.values(escalationKeys()), write: ['alerts', 'api'], read: [] },
  { keys: [rateKeys().user('alice')], write: ['api', 'alerts'], read: [] },
  ...(['feed', 'recorder', 'alerts'] as const).map((role) => {
    const k = leaseKeys(`${role}:BTCUSDT`);
    return { keys: [k.holder, k.token], write: [role], read: [] };
  }),
];

describe('every key family is granted to its writers and readers (infra/src/redis-auth.ts)', () => {
  for (const f of FAMILIES) {
    it(`${f.keys[0]}…: written by ${f.write.join(', ')}${f.read.length ? `, read by ${f.read.join(', ')}` : ''}`, () => {
      for (const key of f.keys) {
        for (const user of ['desk', ...f.write] as RedisServiceUser[])
          expect(rights(user).write(key), `${user} writes ${key}`).toBe(true);
        for (const user of f.read) expect(rights(user).read(key), `${user} reads ${key}`).toBe(true);
      }
    });
  }

  it('the recorder reaches no key outside market data', () => {
    for (const key of [
      dir.users,
      dir.presence,
      engine.heartbeat,
      alerts.outbox,
      audit.head,
      rules.ids,
      rateKeys().user('alice'),
    ])
      expect(rights('recorder').read(key)).toBe(false);
  });

  it('a service reaches only its own leases; the feed nothing else', () => {
    const feed = leaseKeys('feed:BTCUSDT');
    for (const user of ['recorder', 'alerts', 'api'] as RedisServiceUser[])
      expect(rights(user).write(feed.holder), user).toBe(false);
    expect(rights('feed').write(leaseKeys('alerts:BTCUSDT').holder)).toBe(false);
    for (const key of [dir.users, market.last, engine.heartbeat, alerts.outbox, audit.head, rules.ids])
      expect(rights('feed').read(key), key).toBe(false);
  });

  it('the channels: rule, presence and role changes for the engine and the API', () => {
    for (const user of ['alerts', 'api', 'desk'] as RedisServiceUser[]) {
      expect(rights(user).channel(rules.changes)).toBe(true);
      expect(rights(user).channel(dir.presenceChanges)).toBe(true);
      expect(rights(user).channel(dir.userChanges)).toBe(true);
    }
  });
});
