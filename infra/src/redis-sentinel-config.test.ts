import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordedPrimaryPort, replicationConfigText, sentinelConfigText } from './redis-sentinel-config.js';
import { redisClientOptions } from './redis-target.js';

const dir = mkdtempSync(join(tmpdir(), 'td-sentinel-conf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const secret = 'x'.repeat(24);
const lines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const base = {
  name: 'tickdesk',
  quorum: 2,
  downAfterMs: 5000,
  failoverTimeoutMs: 15000,
  dir: '/d/s1',
  port: 26380,
  primaryPort: 6380,
  sentinelPassword: 's'.repeat(24),
  sentinelUserPassword: 'u'.repeat(24),
};

describe('Sentinel desk config', () => {
  it('gives the primary no replicaof line and the replica one to the primary, both the replica login', () => {
    const primary = lines(replicationConfigText({ replicaPassword: secret, primaryPort: 6380, ownPort: 6380 }));
    expect(primary).toContain('masteruser replica');
    expect(primary).toContain(`masterauth ${secret}`);
    expect(primary.some((l) => l.startsWith('replicaof'))).toBe(false);
    const replica = lines(replicationConfigText({ replicaPassword: secret, primaryPort: 6380, ownPort: 6381 }));
    expect(replica).toContain('replicaof 127.0.0.1 6380');
    expect(replica).toContain('masteruser replica');
    expect(() => replicationConfigText({ replicaPassword: 'short', primaryPort: 1, ownPort: 2 })).toThrow(/16 or more/);
  });

  it('renders a password-protected sentinel watching the primary with quorum 2, as the sentinel user', () => {
    const text = lines(sentinelConfigText(base));
    expect(text).toEqual(
      expect.arrayContaining([
        'bind 127.0.0.1',
        'port 26380',
        'dir /d/s1',
        `requirepass ${'s'.repeat(24)}`,
        `sentinel sentinel-pass ${'s'.repeat(24)}`,
        'sentinel monitor tickdesk 127.0.0.1 6380 2',
        'sentinel auth-user tickdesk sentinel',
        `sentinel auth-pass tickdesk ${'u'.repeat(24)}`,
        'sentinel down-after-milliseconds tickdesk 5000',
        'sentinel failover-timeout tickdesk 15000',
      ]),
    );
    expect(text.join('\n')).not.toMatch(/\{\{/);
  });

  it('refuses settings a sentinel would misread', () => {
    expect(() => sentinelConfigText({ ...base, name: 'bad name' })).toThrow(/master name/);
    expect(() => sentinelConfigText({ ...base, sentinelPassword: 'has space in it 123' })).toThrow(/without spaces/);
    expect(() => sentinelConfigText({ ...base, downAfterMs: 50 })).toThrow(/below 100/);
    expect(() => sentinelConfigText({ ...base, failoverTimeoutMs: 1000 })).toThrow(/shorter than down-after/);
  });

  it('takes the primary from the sentinel file with the highest config epoch, or the configured one', () => {
    const a = join(dir, 'a.conf');
    const b = join(dir, 'b.conf');
    writeFileSync(a, 'port 1\nsentinel monitor tickdesk 127.0.0.1 6380 2\nsentinel config-epoch tickdesk 0\n');
    writeFileSync(b, 'port 2\nsentinel monitor tickdesk 127.0.0.1 6381 2\nsentinel config-epoch tickdesk 3\n');
    expect(recordedPrimaryPort([a, b], 'tickdesk', 7000)).toBe(6381);
    expect(recordedPrimaryPort([a], 'tickdesk', 7000)).toBe(6380);
    expect(recordedPrimaryPort([join(dir, 'none.conf')], 'tickdesk', 7000)).toBe(7000);
    expect(recordedPrimaryPort([b], 'other', 7000)).toBe(7000);
  });

  it('gives ioredis the sentinels and master name in Sentinel mode, host and port otherwise', () => {
    const login = { username: 'alerts', password: secret };
    expect(redisClientOptions({ mode: 'single', host: '127.0.0.1', port: 6380 }, login)).toEqual({
      host: '127.0.0.1',
      port: 6380,
      username: 'alerts',
      password: secret,
    });
    const sentinels = {
      mode: 'sentinel' as const,
      masterName: 'tickdesk',
      sentinels: [{ host: '127.0.0.1', port: 26380 }],
    };
    const o = redisClientOptions(sentinels, login, 'p');
    expect(o).toMatchObject({
      name: 'tickdesk',
      sentinels: [{ host: '127.0.0.1', port: 26380 }],
      sentinelPassword: 'p',
      username: 'alerts',
      password: secret,
      failoverDetector: false,
    });
    expect(o.host).toBeUndefined();
    expect(() => redisClientOptions(sentinels, login)).toThrow(/no sentinel password/);
  });
});
