import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditChain, auditKeys, type AuditEntry } from '@tickdesk/alerts';
import { createLeaseScripts, leaseKeys } from '@tickdesk/store';
import { portOf } from '../support/engine-process.js';
import { credentials, desk } from './helpers.js';

const port = () => portOf(desk().redisUrl);
const open: Redis[] = [];

/** A connection as one of the desk's Redis users, with the password from the credentials file. */
function as(user: string, db = 0): Redis {
  const password = (credentials() as { redis?: { users?: Record<string, string> } }).redis?.users?.[user];
  if (!password) throw new Error(`no Redis password for ${user} in the credentials file`);
  const c = new Redis({
    host: '127.0.0.1',
    port: port(),
    username: user,
    password,
    db,
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
  });
  c.on('error', () => undefined);
  open.push(c);
  return c;
}

afterAll(() => {
  for (const c of open) c.disconnect();
});

const refused = (p: Promise<unknown>) => expect(p).rejects.toThrow(/NOPERM/);

describe('Redis of the desk', () => {
  it('refuses a client without credentials (the default user is off)', () => {
    const reply = execFileSync('redis-cli', ['-p', String(port()), 'ping'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    expect(reply).toMatch(/NOAUTH/);
    const keys = execFileSync('redis-cli', ['-p', String(port()), 'hset', 'td:users', 'eve', 'admin'], {
      encoding: 'utf8',
    });
    expect(keys).toMatch(/NOAUTH/);
  });

  it('refuses a wrong password', async () => {
    const c = new Redis({
      host: '127.0.0.1',
      port: port(),
      username: 'api',
      password: 'guess',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const errors: string[] = [];
    c.on('error', (err: Error) => errors.push(err.message));
    open.push(c);
    await expect(c.connect()).rejects.toThrow();
    expect(errors.join('\n')).toMatch(/WRONGPASS/);
  });

  it('gives each service user only the commands and keys it needs', async () => {
    const recorder = as('recorder');
    await refused(recorder.hset('td:users', 'eve', 'admin'));
    await refused(recorder.hget('td:{audit}:head', 'seq'));
    await refused(recorder.get('td:alerts:heartbeat'));
    await refused(recorder.flushall());
    await recorder.zadd('td:ticks:ZZAUTH', 1, 'x');
    expect(await recorder.del('td:ticks:ZZAUTH')).toBe(1);

    // The feed: its own leases, through the lease scripts; nothing else.
    const feed = as('feed');
    const lease = createLeaseScripts({ redis: feed, name: 'feed:ZZAUTH' });
    const grant = await lease.acquire('auth-test', 1_000);
    expect(grant.granted).toBe(true);
    expect(await lease.renew('auth-test', grant.token, 1_000)).toBe(true);
    expect(await lease.release('auth-test', grant.token)).toBe(true);
    await refused(createLeaseScripts({ redis: feed, name: 'alerts:ZZAUTH' }).acquire('auth-test', 1_000));
    await refused(feed.hget('td:last', 'BTCUSDT'));
    await refused(feed.get('td:alerts:heartbeat'));
    expect(await feed.del(leaseKeys('feed:ZZAUTH').token)).toBe(1);

    const api = as('api');
    await refused(api.flushall());
    await refused(api.config('GET', 'dir'));
    await refused(api.xadd(auditKeys('td:').log, '999999-0', 'r', '[]', 'h', 'x'));
    await refused(api.hset(auditKeys('td:').head, 'seq', '0'));
    await refused(api.hset('td:last', 'BTCUSDT', '{}'));
    await refused(api.call('ACL', 'LIST'));
    expect(await api.hget('td:users', 'alice')).toBe('trader');
    expect(Array.isArray(await api.xrange(auditKeys('td:').log, '-', '+', 'COUNT', 1))).toBe(true);

    const alerts = as('alerts');
    await refused(alerts.hset('td:users', 'eve', 'admin'));
    await refused(alerts.hset('td:last', 'BTCUSDT', '{}'));
    await refused(alerts.keys('*'));
    await refused(alerts.call('SHUTDOWN'));
    expect(await alerts.hget('td:users', 'alice')).toBe('trader');
    // The per-user write counter it shares with the API (chat and ad-hoc writes count there).
    expect(await alerts.incr('td:api:rate:user:zz-auth-test')).toBe(1);
    expect(await alerts.del('td:api:rate:user:zz-auth-test')).toBe(1);

    const deskUser = as('desk');
    await refused(deskUser.flushall());
    // Key names outside its families (SCAN is not filtered by key patterns), and server-side functions.
    await refused(deskUser.scan('0'));
    await refused(deskUser.call('FUNCTION', 'FLUSH'));
    await refused(alerts.scan('0'));
    await refused(deskUser.config('SET', 'dir', '/tmp'));
    await refused(deskUser.call('ACL', 'SETUSER', 'eve', 'on', '>x', '+@all', '~*'));
    await refused(deskUser.hset('other:key', 'a', 'b'));
    expect(await deskUser.hget('td:users', 'alice')).toBe('trader');
  });

  it('keeps its folders 0700 and its files 0600: config, ACL file, AOF', () => {
    const dir = join(desk().home, 'redis');
    const mode = (p: string) => statSync(p).mode & 0o777;
    for (const d of [dir, join(dir, 'data'), join(dir, 'data', 'appendonly')]) expect([d, mode(d)]).toEqual([d, 0o700]);
    const aof = readdirSync(join(dir, 'data', 'appendonly'));
    expect(aof.length).toBeGreaterThan(0);
    const files = ['redis.conf', 'users.acl', 'redis.log', ...aof.map((f) => join('data', 'appendonly', f))].map((f) =>
      join(dir, f),
    );
    for (const f of files) expect([f, mode(f)]).toEqual([f, 0o600]);
    expect(mode(desk().credentialsPath)).toBe(0o600);
  });

  it('an audit chain rewritten in Redis without the key fails verification at the first rewritten record', async () => {
    const audit = (credentials() as { audit?: { key: string; keyedFrom?: number } }).audit;
    expect(audit?.key.length).toBeGreaterThanOrEqual(43);
    expect(audit?.keyedFrom).toBe(1); // a new desk: every record is keyed
    // A database of its own: the desk's chain (db 0) belongs to the alert tests.
    const engine = as('alerts', 9);
    const attacker = new Redis(`${desk().redisUrl}/9`);
    open.push(attacker);
    await attacker.flushdb();
    const chain = createAuditChain({ redis: engine, key: { key: audit!.key, keyedFrom: 1 } });
    const entry = (i: number): AuditEntry => ({
      alertId: `a${i}`,
      trader: 'alice',
      symbol: 'BTCUSDT',
      event: 'fired',
      stanzaHash: '',
    });
    for (let i = 1; i <= 8; i++) await chain.append(entry(i));
    expect(await chain.verify()).toMatchObject({ ok: true, records: 8, keyed: 8, unkeyed: 0 });

    const keys = auditKeys('td:');
    const entries = (await attacker.xrange(keys.log, '-', '+')) as [string, string[]][];
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    let prev = '';
    const m = attacker.multi().del(keys.log);
    for (const [id, f] of entries) {
      const seq = Number(id.split('-')[0]);
      if (seq < 6) {
        m.xadd(keys.log, id, ...f);
        prev = f[3]!;
        continue;
      }
      const r = JSON.parse(f[1]!) as (string | number)[];
      if (seq === 6) r[3] = 'mallory';
      r[8] = prev;
      prev = sha(JSON.stringify(r));
      m.xadd(keys.log, id, 'r', JSON.stringify(r), 'h', prev, ...f.slice(4));
    }
    await m.hset(keys.head, 'hash', prev).exec();
    const v = await chain.verify();
    expect(v).toMatchObject({ ok: false, records: 5, brokenSeq: 6 });
    expect(v.ok === false && v.reason).toMatch(/^record 6 was altered: its HMAC/);
    // Each keyed entry names its key (field k); the attacker kept it, so the MAC is checked and fails.
    expect(entries[0]![1]).toContain('k');
    // Another key (a stolen credentials file of another desk) does not verify this chain either.
    const other = createAuditChain({ redis: engine, key: { key: randomBytes(32).toString('base64url') } });
    expect(await other.verify()).toMatchObject({ ok: false, brokenSeq: 1 });
    await attacker.flushdb();
  });
});
