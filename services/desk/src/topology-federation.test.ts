import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDeskTopology } from '@tickdesk/schemas';
import { ConfigError, loadDeskConfig } from './config.js';
import { buildDeskTopology } from './topology.js';

const home = mkdtempSync(join(tmpdir(), 'tickdesk-topology-federation-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function peersFile(name: string, peers: unknown): string {
  const dir = join(home, 'peers');
  mkdirSync(dir, { recursive: true });
  for (const ca of ['deskb-ca.crt', 'c.crt']) writeFileSync(join(dir, ca), 'PEM');
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(peers));
  return path;
}
const deskB = { domain: 'deskb.localhost', host: '127.0.0.1', port: 15270, ca: 'deskb-ca.crt' };
const topology = (env: Record<string, string>) => buildDeskTopology(loadDeskConfig({ TICKDESK_HOME: home, ...env }));

describe('desk topology: federation', () => {
  it('no peers file, or an empty list: no federation part (no s2s)', () => {
    expect(topology({})).not.toHaveProperty('federation');
    expect(topology({ TICKDESK_PEERS_FILE: peersFile('none.json', []) })).not.toHaveProperty('federation');
  });

  it("the peers with the s2s port and interface; a CA path relative to the file is taken from the file's folder", () => {
    const file = peersFile('one.json', [
      deskB,
      { ...deskB, domain: 'deskc.localhost', ca: join(home, 'peers', 'c.crt') },
    ]);
    expect(topology({ TICKDESK_PEERS_FILE: file, TICKDESK_S2S_PORT: '15269' }).federation).toEqual({
      s2sPort: 15269,
      s2sInterface: '127.0.0.1',
      peers: [
        { ...deskB, ca: join(home, 'peers', 'deskb-ca.crt') },
        { ...deskB, domain: 'deskc.localhost', ca: join(home, 'peers', 'c.crt') },
      ],
    });
    expect(topology({ TICKDESK_PEERS_FILE: file }).federation?.s2sPort).toBe(5269);
    // Every interface the setting accepts makes a topology the services can read back.
    for (const s2sInterface of ['0.0.0.0', '*', '::', '10.0.0.2']) {
      const t = topology({ TICKDESK_PEERS_FILE: file, TICKDESK_S2S_INTERFACE: s2sInterface });
      expect(parseDeskTopology(JSON.stringify(t)).federation?.s2sInterface).toBe(s2sInterface);
    }
  });

  it('a bad file stops the desk naming the variable, the file and the entry', () => {
    const missing = join(home, 'nope.json');
    expect(() => topology({ TICKDESK_PEERS_FILE: missing })).toThrow(ConfigError);
    expect(() => topology({ TICKDESK_PEERS_FILE: missing })).toThrow(
      `TICKDESK_PEERS_FILE=${JSON.stringify(missing)} is not readable`,
    );
    const bad = peersFile('bad.json', [deskB, { ...deskB, domain: 'deskc.localhost', host: 'a b' }]);
    expect(() => topology({ TICKDESK_PEERS_FILE: bad })).toThrow(
      new RegExp(`^TICKDESK_PEERS_FILE=".*bad\\.json" entry 2 \\(deskc\\.localhost\\): host `),
    );
    const noCa = peersFile('no-ca.json', [{ ...deskB, ca: 'missing.crt' }]);
    expect(() => topology({ TICKDESK_PEERS_FILE: noCa })).toThrow(
      new RegExp(`entry 1 \\(deskb\\.localhost\\): its CA certificate .*missing\\.crt does not exist$`),
    );
    const many = peersFile(
      'many.json',
      [1, 2, 3].map((i) => ({ ...deskB, domain: `desk${i}.localhost` })),
    );
    expect(() => topology({ TICKDESK_PEERS_FILE: many, TICKDESK_PEERS_MAX: '2' })).toThrow(/lists 3 peers; at most 2/);
  });

  it("Prosody, one ejabberd node or an ejabberd cluster, and the s2s port is not one of the desk's other ports", () => {
    const file = peersFile('ej.json', [deskB]);
    expect(topology({ TICKDESK_PEERS_FILE: file, TICKDESK_XMPP_SERVER: 'ejabberd' }).federation?.peers).toHaveLength(1);
    expect(
      topology({ TICKDESK_PEERS_FILE: file, TICKDESK_XMPP_SERVER: 'ejabberd', TICKDESK_XMPP_NODES: '3' }).federation
        ?.peers,
    ).toHaveLength(1);
    expect(() => topology({ TICKDESK_PEERS_FILE: file, TICKDESK_S2S_PORT: '8080' })).toThrow(
      'port 8080 is both TICKDESK_API_PORT and TICKDESK_S2S_PORT',
    );
    expect(() => topology({ TICKDESK_S2S_PORT: '8080' })).not.toThrow();
  });

  it("an ejabberd cluster's node i listens for s2s on TICKDESK_S2S_PORT + (i-1)·100: in range and no other port of the desk", () => {
    const file = peersFile('cluster.json', [deskB]);
    const cluster = { TICKDESK_PEERS_FILE: file, TICKDESK_XMPP_SERVER: 'ejabberd', TICKDESK_XMPP_NODES: '3' };
    expect(() => topology({ ...cluster, TICKDESK_S2S_PORT: '65400' })).toThrow(
      'TICKDESK_S2S_PORT=65400 leaves no s2s port for XMPP node 3 (65600): node i listens on TICKDESK_S2S_PORT + (i-1)·100',
    );
    // Node 2's s2s port would be node 1's client port (5222).
    expect(() => topology({ ...cluster, TICKDESK_S2S_PORT: '5122' })).toThrow(
      "port 5222 is both XMPP node 1's client port and XMPP node 2's s2s port (TICKDESK_S2S_PORT + 100): choose other ports",
    );
    expect(() => topology({ ...cluster, TICKDESK_S2S_PORT: '65300' })).not.toThrow();
  });
});
