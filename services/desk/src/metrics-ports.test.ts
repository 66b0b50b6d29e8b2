import { describe, expect, it } from 'vitest';
import { loadDeskConfig } from './config.js';
import { deskPorts, metricsPortsOf, MAX_METRICS_PORT_TRIES } from './metrics-ports.js';

/** A free-port source that answers `first` in order, then 45001, 45002… */
const source = (first: number[]) => {
  let next = 45_001;
  return async () => first.shift() ?? next++;
};

describe('metrics ports chosen by up', () => {
  const config = loadDeskConfig({
    TICKDESK_REDIS_MODE: 'sentinel',
    TICKDESK_REDIS_PORT: '41000',
    TICKDESK_REDIS_SENTINEL_PORT: '42000',
    TICKDESK_XMPP_SERVER: 'ejabberd',
    TICKDESK_XMPP_NODES: '2',
    TICKDESK_XMPP_PORT: '43000',
    TICKDESK_XMPP_TLS_PORT: '43001',
    TICKDESK_XMPP_HTTP_PORT: '43002',
    TICKDESK_XMPP_DIST_PORT: '43010',
    TICKDESK_API_PORT: '44000',
  });

  it('lists every port the desk is configured to bind', () => {
    expect([...deskPorts(config)].sort()).toEqual([
      41000, 41001, 42000, 42001, 42002, 43000, 43001, 43002, 43009, 43010, 43100, 43101, 43102, 43110, 44000,
    ]);
  });

  it('never gives a service or an extra part one of them, nor one port twice', async () => {
    // Each of the desk's ports offered as "free" (none but the API and XMPP node 1 is bound when up chooses).
    const chooser = metricsPortsOf(config, {
      freePort: source([42000, 41001, 42002, 43009, 43110, 44000, 41000, 43100]),
    });
    expect(await chooser.services()).toEqual({ feed: 45_001, recorder: 45_002, alerts: 45_003 });
    const again = metricsPortsOf(config, { freePort: source([42001, 45_007, 45_007, 45_008]) });
    expect(await again.services()).toEqual({ feed: 45_007, recorder: 45_008, alerts: 45_001 });
    expect(await again.free()).toBe(45_002);
  });

  it('says so when the source keeps answering taken ports', async () => {
    const chooser = metricsPortsOf(config, { freePort: async () => 42_000 });
    await expect(chooser.free()).rejects.toThrow(`in ${MAX_METRICS_PORT_TRIES} tries`);
  });
});
