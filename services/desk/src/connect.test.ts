import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeskConfig } from './config.js';
import { deskTarget } from './connect.js';

const home = mkdtempSync(join(tmpdir(), 'tickdesk-connect-'));
mkdirSync(join(home, 'certs'));
writeFileSync(join(home, 'credentials.json'), '{}');
writeFileSync(join(home, 'certs', 'ca.crt'), 'PEM');
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('where services connect', () => {
  it('one node: every service on it', () => {
    const t = deskTarget(loadDeskConfig({ TICKDESK_HOME: home, TICKDESK_XMPP_PORT: '15222' }), 2);
    expect(t.xmpp).toMatchObject({ service: 'xmpp://127.0.0.1:15222', services: ['xmpp://127.0.0.1:15222'] });
  });

  it('a cluster: services are spread over the nodes and know every node', () => {
    const config = loadDeskConfig({ TICKDESK_HOME: home, TICKDESK_XMPP_SERVER: 'ejabberd', TICKDESK_XMPP_NODES: '3', TICKDESK_XMPP_PORT: '15222' });
    const all = ['xmpp://127.0.0.1:15222', 'xmpp://127.0.0.1:15322', 'xmpp://127.0.0.1:15422'];
    expect([0, 1, 2, 3].map((i) => deskTarget(config, i).xmpp.service)).toEqual([...all, all[0]]);
    expect(deskTarget(config, 1).xmpp.services).toEqual(all);
  });
});
