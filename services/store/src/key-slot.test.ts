import { describe, expect, it } from 'vitest';
import { ALERT_STATES } from '@tickdesk/schemas';
import { keySlot } from './key-slot.js';
import {
  alertKeys,
  auditKeys,
  CROSS_SLOT_OPERATIONS,
  directoryKeys,
  DEFAULT_PREFIX,
  engineKeys,
  leaseKeys,
  marketKeys,
  rateKeys,
  ruleKeys,
} from './keys.js';

const sameSlot = (keys: readonly string[]) => new Set(keys.map(keySlot)).size === 1;

describe('keySlot', () => {
  it('is CRC16-XMODEM modulo 16384, as the Redis Cluster specification gives it', () => {
    // The specification's check value: CRC16 of "123456789" is 0x31C3.
    expect(keySlot('123456789')).toBe(0x31c3 % 16_384);
    // CLUSTER KEYSLOT answers on a real Redis Cluster.
    expect(keySlot('foo')).toBe(12_182);
    expect(keySlot('bar')).toBe(5_061);
  });

  it('hashes only the first non-empty {tag}', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}')); // empty tag: the whole key
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });
});

// Ids, owners and symbols as the desk makes them, and some adversarial ones.
const IDS = ['r1kx9a2b', 'a-0001', 'BTCUSDT:12:r1', 'x'];
const NAMES = ['alice', 'bob.smith', 'dan_2', 'z'];
const SYMBOLS = ['BTCUSDT', 'EURUSD', 'ETH-PERP'];

describe('hash tags of the key families (docs/architecture.md, "Redis key layout")', () => {
  for (const prefix of [DEFAULT_PREFIX, 'other:']) {
    it(`every key of the audit chain, the alerts and the rules shares its family's slot (prefix ${prefix})`, () => {
      const audit = auditKeys(prefix);
      const auditAll = [
        audit.log,
        audit.head,
        audit.byTime,
        ...NAMES.map(audit.trader),
        ...SYMBOLS.map(audit.symbol),
        ...IDS.map(audit.alert),
      ];
      const alerts = alertKeys(prefix);
      const alertsAll = [
        alerts.outbox,
        alerts.held,
        alerts.byTime,
        ...IDS.map(alerts.alert),
        ...NAMES.map(alerts.byTrader),
        ...SYMBOLS.map(alerts.bySymbol),
        ...ALERT_STATES.map(alerts.byState),
      ];
      const rules = ruleKeys(prefix);
      const rulesAll = [rules.ids, ...IDS.map(rules.rule), ...NAMES.map(rules.owner)];
      expect(sameSlot(auditAll)).toBe(true);
      expect(sameSlot(alertsAll)).toBe(true);
      expect(sameSlot(rulesAll)).toBe(true);
    });
  }

  it("each store script's KEYS share one slot (audit append, alert create and update, rule create, replace and remove)", () => {
    const audit = auditKeys();
    const alerts = alertKeys();
    const rules = ruleKeys();
    for (const [id, owner, symbol] of IDS.map((id, i) => [id, NAMES[i]!, SYMBOLS[i % SYMBOLS.length]!] as const)) {
      expect(
        sameSlot([audit.head, audit.log, audit.byTime, audit.trader(owner), audit.symbol(symbol), audit.alert(id)]),
      ).toBe(true);
      expect(
        sameSlot([
          alerts.alert(id),
          alerts.outbox,
          alerts.held,
          alerts.byTime,
          alerts.byTrader(owner),
          alerts.bySymbol(symbol),
          ...ALERT_STATES.map(alerts.byState),
        ]),
      ).toBe(true);
      expect(sameSlot([rules.rule(id), rules.ids, rules.owner(owner)])).toBe(true);
    }
  });

  it("a lease's two keys (holder, fencing counter) share a slot; two leases need not", () => {
    for (const symbol of SYMBOLS) {
      const k = leaseKeys(`feed:${symbol}`);
      expect(sameSlot([k.holder, k.token])).toBe(true);
    }
    expect(sameSlot([leaseKeys('feed:BTCUSDT').holder, leaseKeys('feed:ETHUSDT').holder])).toBe(false);
  });

  it('a key built with one family of ids never lands in another tagged family by accident', () => {
    // A name holding a brace must not move a key out of its family's slot.
    expect(keySlot(alertKeys().byTrader('{evil}'))).toBe(keySlot(alertKeys().outbox));
    expect(keySlot(ruleKeys().owner('x}{y'))).toBe(keySlot(ruleKeys().ids));
  });

  it("one instrument's market-data keys share a slot (the recorder's write script), and no cross-slot operation is left", () => {
    const market = marketKeys();
    const dir = directoryKeys();
    for (const symbol of SYMBOLS) {
      expect(
        sameSlot([
          market.ticks(symbol),
          market.candles('1s', symbol),
          market.candles('1m', symbol),
          market.candles('1h', symbol),
          market.final(symbol),
          market.recorded(symbol),
        ]),
      ).toBe(true);
    }
    expect(sameSlot(SYMBOLS.map(market.ticks))).toBe(false);
    // These span slots and are never used together in one MULTI or script.
    expect(sameSlot([dir.users, dir.presence])).toBe(false);
    expect(sameSlot([market.last, market.ticks('BTCUSDT')])).toBe(false);
    expect(Object.keys(CROSS_SLOT_OPERATIONS)).toEqual([]);
    // Every other family name is a single key whatever the prefix.
    for (const key of [engineKeys().heartbeat, engineKeys().watermark, engineKeys().fired, rateKeys().user('alice')])
      expect(key.startsWith(DEFAULT_PREFIX)).toBe(true);
  });
});
