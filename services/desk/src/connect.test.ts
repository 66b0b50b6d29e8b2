import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeskConfig } from './config.js';
import { deskRedisOptions, deskTarget } from './connect.js';
import { buildDeskTopology } from './topology.js';

const home = mkdtempSync(join(tmpdir(), 'tickdesk-connect-'));
mkdirSync(join(home, 'certs'));
const credentials = { redis: { users: { alerts: 'a'.repeat(24) }, sentinelPassword: 's'.repeat(24) } };
writeFileSync(join(home, 'credentials.json'), JSON.stringify(credentials));
writeFileSync(join(home, 'certs', 'ca.crt'), 'PEM');
afterAll(() => rmSync(home, { recursive: true, force: true }));
const topology = (env: Record<string, string>) => buildDeskTopology(loadDeskConfig({ TICKDESK_HOME: home, ...env }));

describe('where services connect', () => {
  it('one node: every service on it, with the CA and credentials of the runtime folder', () => {
    const t = deskTarget(topology({ TICKDESK_XMPP_PORT: '15222', TICKDESK_DOMAIN: 'trading.example' }), 2);
    expect(t.xmpp).toEqual({
      service: 'xmpp://127.0.0.1:15222',
      services: ['xmpp://127.0.0.1:15222'],
      domain: 'trading.example',
      ca: 'PEM',
    });
    expect(t.credentials).toEqual(credentials);
  });

  it('a cluster: services are spread over the nodes and know every node', () => {
    const t = topology({ TICKDESK_XMPP_SERVER: 'ejabberd', TICKDESK_XMPP_NODES: '3', TICKDESK_XMPP_PORT: '15222' });
    const all = ['xmpp://127.0.0.1:15222', 'xmpp://127.0.0.1:15322', 'xmpp://127.0.0.1:15422'];
    expect([0, 1, 2, 3].map((i) => deskTarget(t, i).xmpp.service)).toEqual([...all, all[0]]);
    expect(deskTarget(t, 1).xmpp.services).toEqual(all);
  });

  it("Redis where the topology says, as the service's own user", () => {
    const creds = deskTarget(topology({}), 0).credentials;
    expect(deskRedisOptions(topology({ TICKDESK_REDIS_PORT: '16380' }), creds, 'alerts')).toEqual({
      host: '127.0.0.1',
      port: 16380,
      username: 'alerts',
      password: 'a'.repeat(24),
    });
    const sentinels = {
      ...topology({}),
      redis: { mode: 'sentinel' as const, masterName: 'tickdesk', sentinels: [{ host: '127.0.0.1', port: 26380 }] },
    };
    expect(deskRedisOptions(sentinels, creds, 'alerts')).toMatchObject({
      name: 'tickdesk',
      sentinels: [{ host: '127.0.0.1', port: 26380 }],
      sentinelPassword: 's'.repeat(24),
      username: 'alerts',
    });
  });
});
