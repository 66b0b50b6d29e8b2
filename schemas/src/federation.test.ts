import { describe, expect, it } from 'vitest';
import { DeskTopology } from './desk-topology.js';
import { DEFAULT_MAX_PEERS, parsePeers } from './federation.js';
import { Value } from '@sinclair/typebox/value';

const source = 'TICKDESK_PEERS_FILE=/etc/peers.json';
const opts = { source, ownDomain: 'desk.localhost' };
const peer = (domain: string, extra: Record<string, unknown> = {}) => ({
  domain,
  host: '127.0.0.1',
  port: 5270,
  ca: `/peers/${domain}.crt`,
  ...extra,
});
const text = (v: unknown) => JSON.stringify(v);

describe('peers file', () => {
  it('reads a list of peers', () => {
    expect(parsePeers(text([peer('deskb.localhost')]), opts)).toEqual([peer('deskb.localhost')]);
    expect(parsePeers('[]', opts)).toEqual([]);
  });

  it('names the variable, the file and the entry at fault', () => {
    expect(() => parsePeers('{', opts)).toThrow(/^TICKDESK_PEERS_FILE=\/etc\/peers\.json is not JSON/);
    expect(() => parsePeers(text({ domain: 'x' }), opts)).toThrow(/must be a JSON array of peers/);
    expect(() => parsePeers(text([peer('deskb.localhost'), peer('deskc.localhost', { port: 70000 })]), opts)).toThrow(
      /^TICKDESK_PEERS_FILE=\/etc\/peers\.json entry 2 \(deskc\.localhost\): port Expected integer to be less or equal to 65535$/,
    );
    expect(() => parsePeers(text([peer('Desk B')]), opts)).toThrow(
      /entry 1 \(Desk B\): domain Expected string to match/,
    );
    expect(() => parsePeers(text([{ domain: 'deskb.localhost' }]), opts)).toThrow(
      /entry 1 \(deskb\.localhost\): .*host/,
    );
    expect(() => parsePeers(text([peer('deskb.localhost', { cert: 'x' })]), opts)).toThrow(/entry 1/);
    expect(() => parsePeers(text([null]), opts)).toThrow(/entry 1: the entry Expected object/);
  });

  it('refuses the desk itself and a domain listed twice', () => {
    expect(() => parsePeers(text([peer('desk.localhost')]), opts)).toThrow(
      /entry 1 \(desk\.localhost\): desk\.localhost is this desk's own domain/,
    );
    expect(() => parsePeers(text([peer('deskb.localhost'), peer('deskb.localhost')]), opts)).toThrow(
      /entry 2 \(deskb\.localhost\): deskb\.localhost is listed twice/,
    );
  });

  it(`has a limit on the number of peers (default ${DEFAULT_MAX_PEERS})`, () => {
    const many = Array.from({ length: DEFAULT_MAX_PEERS + 1 }, (_, i) => peer(`desk${i}.localhost`));
    expect(parsePeers(text(many.slice(0, DEFAULT_MAX_PEERS)), opts)).toHaveLength(DEFAULT_MAX_PEERS);
    expect(() => parsePeers(text(many), opts)).toThrow(/lists 17 peers; at most 16 \(TICKDESK_PEERS_MAX\)/);
    expect(() => parsePeers(text(many.slice(0, 3)), { ...opts, maxPeers: 2 })).toThrow(/at most 2/);
  });

  it('is part of the desk topology, absent when the desk has no peers', () => {
    const base = {
      domain: 'desk.localhost',
      pubsubHost: 'pubsub.desk.localhost',
      xmppServer: 'prosody',
      xmppNodes: [{ host: '127.0.0.1', c2sPort: 5222, c2sDirectTlsPort: 5223, httpPort: 5280, distPort: 5210 }],
      api: { host: '127.0.0.1', port: 8080 },
      redis: { mode: 'single', host: '127.0.0.1', port: 6380 },
      paths: { home: '/h', ca: '/h/certs/ca.crt', credentials: '/h/credentials.json' },
    };
    expect(Value.Check(DeskTopology, base)).toBe(true);
    const federation = { s2sPort: 5269, s2sInterface: '127.0.0.1', peers: [peer('deskb.localhost')] };
    expect(Value.Check(DeskTopology, { ...base, federation })).toBe(true);
    expect(Value.Check(DeskTopology, { ...base, federation: { ...federation, peers: [] } })).toBe(false);
  });
});
