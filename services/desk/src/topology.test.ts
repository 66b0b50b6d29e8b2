import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, describe, expect, it } from 'vitest';
import { DeskTopology, parseDeskTopology, xmppHttpOrigins, xmppServiceUrls } from '@tickdesk/schemas';
import { loadDeskConfig } from './config.js';
import { buildDeskTopology, clearDeskTopology, deskTopology, writeDeskTopology } from './topology.js';

const home = mkdtempSync(join(tmpdir(), 'tickdesk-topology-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('desk topology from the desk configuration', () => {
  it('one node: the configured ports, the domain and its pubsub service, Redis, the API and the runtime files', () => {
    const t = buildDeskTopology(
      loadDeskConfig({
        TICKDESK_HOME: home,
        TICKDESK_DOMAIN: 'trading.example',
        TICKDESK_XMPP_PORT: '15222',
        TICKDESK_XMPP_TLS_PORT: '15223',
        TICKDESK_XMPP_HTTP_PORT: '15280',
        TICKDESK_XMPP_DIST_PORT: '15210',
        TICKDESK_REDIS_PORT: '16380',
        TICKDESK_API_PORT: '18080',
      }),
    );
    expect(t).toEqual({
      domain: 'trading.example',
      pubsubHost: 'pubsub.trading.example',
      xmppServer: 'prosody',
      xmppNodes: [{ host: '127.0.0.1', c2sPort: 15222, c2sDirectTlsPort: 15223, httpPort: 15280, distPort: 15210 }],
      api: { host: '127.0.0.1', port: 18080 },
      redis: { mode: 'single', host: '127.0.0.1', port: 16380 },
      paths: { home, ca: join(home, 'certs', 'ca.crt'), credentials: join(home, 'credentials.json') },
    });
    expect(Value.Check(DeskTopology, t)).toBe(true);
    expect(xmppServiceUrls(t)).toEqual(['xmpp://127.0.0.1:15222']);
    expect(xmppHttpOrigins(t)).toEqual(['http://127.0.0.1:15280']);
  });

  it('the defaults give the documented ports', () => {
    const t = buildDeskTopology(loadDeskConfig({ TICKDESK_HOME: home }));
    expect(t.xmppNodes).toEqual([
      { host: '127.0.0.1', c2sPort: 5222, c2sDirectTlsPort: 5223, httpPort: 5280, distPort: 5210 },
    ]);
    expect([t.api.port, t.redis]).toEqual([8080, { mode: 'single', host: '127.0.0.1', port: 6380 }]);
  });

  it('Redis Sentinel: the three sentinels and the master name instead of one server', () => {
    const t = buildDeskTopology(
      loadDeskConfig({
        TICKDESK_HOME: home,
        TICKDESK_REDIS_MODE: 'sentinel',
        TICKDESK_REDIS_PORT: '16380',
        TICKDESK_REDIS_SENTINEL_PORT: '26480',
      }),
    );
    expect(t.redis).toEqual({
      mode: 'sentinel',
      masterName: 'tickdesk',
      sentinels: [26480, 26481, 26482].map((port) => ({ host: '127.0.0.1', port })),
    });
    expect(Value.Check(DeskTopology, t)).toBe(true);
  });

  it('three ejabberd nodes: node i on every port + (i-1)·100, node 1 first', () => {
    const t = buildDeskTopology(
      loadDeskConfig({
        TICKDESK_HOME: home,
        TICKDESK_XMPP_SERVER: 'ejabberd',
        TICKDESK_XMPP_NODES: '3',
        TICKDESK_XMPP_PORT: '15222',
      }),
    );
    expect(t.xmppServer).toBe('ejabberd');
    expect(t.xmppNodes).toEqual([
      { host: '127.0.0.1', c2sPort: 15222, c2sDirectTlsPort: 5223, httpPort: 5280, distPort: 5210 },
      { host: '127.0.0.1', c2sPort: 15322, c2sDirectTlsPort: 5323, httpPort: 5380, distPort: 5310 },
      { host: '127.0.0.1', c2sPort: 15422, c2sDirectTlsPort: 5423, httpPort: 5480, distPort: 5410 },
    ]);
    expect(xmppServiceUrls(t)).toEqual(['xmpp://127.0.0.1:15222', 'xmpp://127.0.0.1:15322', 'xmpp://127.0.0.1:15422']);
    expect(xmppHttpOrigins(t)).toEqual(['http://127.0.0.1:5280', 'http://127.0.0.1:5380', 'http://127.0.0.1:5480']);
  });
});

describe('the topology file', () => {
  const config = loadDeskConfig({
    TICKDESK_HOME: home,
    TICKDESK_XMPP_SERVER: 'ejabberd',
    TICKDESK_XMPP_NODES: '2',
    TICKDESK_REDIS_PORT: '16390',
  });

  it('is written whole, private, and read back by a service as it was built', () => {
    const built = buildDeskTopology(config);
    const path = writeDeskTopology(home, built);
    expect(path).toBe(join(home, 'topology.json'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(parseDeskTopology(readFileSync(path, 'utf8'))).toEqual(built);
    // A service started by up reads the file, not its own variables.
    expect(
      deskTopology(loadDeskConfig({ TICKDESK_HOME: home, TICKDESK_REDIS_PORT: '1', TICKDESK_TOPOLOGY: path })),
    ).toEqual(built);
  });

  it("without TICKDESK_TOPOLOGY: the running desk's file in TICKDESK_HOME, else built from the configuration", () => {
    const other = mkdtempSync(join(tmpdir(), 'tickdesk-topology-'));
    try {
      const running = loadDeskConfig({ TICKDESK_HOME: other, TICKDESK_XMPP_PORT: '25222' });
      writeDeskTopology(other, buildDeskTopology(running));
      // A command run with other variables (a shell without the desk's) still finds the desk that runs.
      expect(deskTopology(loadDeskConfig({ TICKDESK_HOME: other })).xmppNodes[0]!.c2sPort).toBe(25222);
      clearDeskTopology(other);
      expect(deskTopology(loadDeskConfig({ TICKDESK_HOME: other })).xmppNodes[0]!.c2sPort).toBe(5222);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('a missing or bad file stops the service naming TICKDESK_TOPOLOGY and the field', () => {
    expect(() => deskTopology(loadDeskConfig({ TICKDESK_TOPOLOGY: join(home, 'absent.json') }))).toThrow(
      /^TICKDESK_TOPOLOGY=".*absent\.json" is not a readable desk topology: ENOENT/,
    );
    const bad = join(home, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...buildDeskTopology(config), xmppNodes: [] }));
    expect(() => deskTopology(loadDeskConfig({ TICKDESK_TOPOLOGY: bad }))).toThrow(
      /TICKDESK_TOPOLOGY=.*desk topology \/xmppNodes/,
    );
  });

  it('carries a Redis Sentinel endpoint as well as a single server', () => {
    const sentinel = {
      ...buildDeskTopology(config),
      redis: {
        mode: 'sentinel',
        masterName: 'tickdesk',
        sentinels: [
          { host: '127.0.0.1', port: 26379 },
          { host: '127.0.0.1', port: 26380 },
        ],
      },
    };
    expect(parseDeskTopology(JSON.stringify(sentinel)).redis).toEqual(sentinel.redis);
    expect(() =>
      parseDeskTopology(
        JSON.stringify({ ...sentinel, redis: { mode: 'sentinel', masterName: 'tickdesk', sentinels: [] } }),
      ),
    ).toThrow(/redis/);
  });
});
