import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { feedSources, loadDeskConfig, XMPP_NODE_PORT_STEP, xmppNodePorts } from './config.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('desk configuration', () => {
  it('has working defaults', () => {
    const c = loadDeskConfig({});
    expect(c).toMatchObject({
      TICKDESK_DOMAIN: 'desk.localhost',
      TICKDESK_XMPP_PORT: 5222,
      TICKDESK_REDIS_PORT: 6380,
      TICKDESK_FEED: 'synthetic',
    });
  });

  it('replays a file inside the repository by default, so a clone needs nothing beside it', () => {
    const file = loadDeskConfig({}).TICKDESK_REPLAY_FILE;
    expect(file.startsWith(REPO_ROOT) && !file.slice(REPO_ROOT.length).split('/').includes('..')).toBe(true);
    expect(file).toMatch(/feeds\/replay\/data\/binance-futures-btcusdt-trades\.csv$/);
    expect(existsSync(file)).toBe(true);
  });

  it('reads numbers and choices', () => {
    expect(
      loadDeskConfig({ TICKDESK_XMPP_PORT: '15222', TICKDESK_FEED: 'replay', TICKDESK_REPLAY_SPEED: 'max' }),
    ).toMatchObject({ TICKDESK_XMPP_PORT: 15222, TICKDESK_FEED: 'replay', TICKDESK_REPLAY_SPEED: 'max' });
  });

  it.each([
    ['TICKDESK_XMPP_PORT', '70000', /TICKDESK_XMPP_PORT="70000".*integer from 1 to 65535/],
    ['TICKDESK_REDIS_PORT', 'six', /TICKDESK_REDIS_PORT="six"/],
    ['TICKDESK_FEED', 'bloomberg', /TICKDESK_FEED=.*one of synthetic, replay, binance/],
    ['TICKDESK_FEED_RATE', '0', /TICKDESK_FEED_RATE/],
    ['TICKDESK_REPLAY_SPEED', 'fast', /TICKDESK_REPLAY_SPEED/],
    ['TICKDESK_DOMAIN', 'Desk Local', /TICKDESK_DOMAIN/],
  ])('refuses %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => loadDeskConfig({ [name]: value })).toThrow(message);
  });
});

describe('XMPP nodes (TICKDESK_XMPP_NODES)', () => {
  it('is one node by default', () => {
    expect(loadDeskConfig({}).TICKDESK_XMPP_NODES).toBe(1);
    expect(xmppNodePorts(loadDeskConfig({}))).toEqual([
      { c2sPort: 5222, c2sDirectTlsPort: 5223, httpPort: 5280, distPort: 5210 },
    ]);
  });

  it('gives each ejabberd node its own client, direct-TLS, HTTP and distribution ports', () => {
    const c = loadDeskConfig({
      TICKDESK_XMPP_SERVER: 'ejabberd',
      TICKDESK_XMPP_NODES: '3',
      TICKDESK_XMPP_PORT: '15222',
    });
    const nodes = xmppNodePorts(c);
    expect(nodes).toHaveLength(3);
    expect(nodes[0]).toEqual({ c2sPort: 15222, c2sDirectTlsPort: 5223, httpPort: 5280, distPort: 5210 });
    expect(nodes[2]).toEqual({
      c2sPort: 15222 + 2 * XMPP_NODE_PORT_STEP,
      c2sDirectTlsPort: 5223 + 2 * XMPP_NODE_PORT_STEP,
      httpPort: 5280 + 2 * XMPP_NODE_PORT_STEP,
      distPort: 5210 + 2 * XMPP_NODE_PORT_STEP,
    });
    const all = nodes.flatMap((n) => Object.values(n));
    expect(new Set(all).size).toBe(all.length);
  });

  it('refuses more than one node on Prosody, which has no clustering', () => {
    expect(() => loadDeskConfig({ TICKDESK_XMPP_NODES: '3' })).toThrow(
      /TICKDESK_XMPP_NODES=3 needs TICKDESK_XMPP_SERVER=ejabberd/,
    );
  });

  it.each(['0', '10', 'two'])('refuses TICKDESK_XMPP_NODES=%s', (n) => {
    expect(() => loadDeskConfig({ TICKDESK_XMPP_SERVER: 'ejabberd', TICKDESK_XMPP_NODES: n })).toThrow(
      /TICKDESK_XMPP_NODES/,
    );
  });

  it("refuses a node port that is another part's port", () => {
    // Node 2's HTTP port (31280 + 100) would be Redis's: Redis starts first and the node's start then blamed TICKDESK_XMPP_HTTP_PORT.
    expect(() =>
      loadDeskConfig({
        TICKDESK_XMPP_SERVER: 'ejabberd',
        TICKDESK_XMPP_NODES: '3',
        TICKDESK_XMPP_HTTP_PORT: '31280',
        TICKDESK_REDIS_PORT: '31380',
      }),
    ).toThrow(/port 31380 is both TICKDESK_REDIS_PORT and XMPP node 2's HTTP port/);
  });

  it("places the MQTT broker on loopback's 8883 with at most 1000 devices, and reads the feed list", () => {
    expect(loadDeskConfig({})).toMatchObject({
      TICKDESK_MQTT_PORT: 8883,
      TICKDESK_MQTT_INTERFACE: '127.0.0.1',
      TICKDESK_MQTT_DEVICES_MAX: 1000,
    });
    expect(() => loadDeskConfig({ TICKDESK_MQTT_INTERFACE: 'a b' })).toThrow(/TICKDESK_MQTT_INTERFACE/);
    expect(feedSources({ TICKDESK_FEED: 'synthetic' })).toEqual(['synthetic']);
    expect(feedSources({ TICKDESK_FEED: 'synthetic, mqtt' })).toEqual(['synthetic', 'mqtt']);
  });

  it('refuses node ports past 65535', () => {
    expect(() =>
      loadDeskConfig({ TICKDESK_XMPP_SERVER: 'ejabberd', TICKDESK_XMPP_NODES: '3', TICKDESK_XMPP_HTTP_PORT: '65500' }),
    ).toThrow(/TICKDESK_XMPP_HTTP_PORT.*node 2/);
  });
});
