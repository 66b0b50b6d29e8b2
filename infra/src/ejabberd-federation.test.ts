import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { certPaths } from './certs.js';
import { renderEjabberdConfig, type EjabberdOptions } from './ejabberd-config.js';
import { InfraError } from './errors.js';

const pem = (body: string) => ['-----BEGIN CERTIFICATE-----', body, '-----END CERTIFICATE-----'].join('\n');
const made: string[] = [];
afterEach(() => made.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A desk folder holding its own CA and peer B's (placeholder PEM bodies: the render only copies them). */
function desk(): EjabberdOptions {
  const dir = mkdtempSync(join(tmpdir(), 'tickdesk-ejabberd-federation-'));
  made.push(dir);
  for (const [file, body] of [
    ['ca.crt', 'OWN'],
    ['peer-b.crt', 'PEER-B'],
  ] as const)
    writeFileSync(join(dir, file), pem(body));
  const nobody: string[] = [];
  const ports = { distPort: 5210, c2sPort: 5222, c2sDirectTlsPort: 5223, httpPort: 5280 };
  return {
    dir,
    certs: certPaths(dir),
    domain: 'desk.localhost',
    ...ports,
    admins: nobody,
    pubsubAdmins: nobody,
    unlimited: nobody,
  };
}
const peerB = (dir: string) => ({
  domain: 'deskb.localhost',
  host: '127.0.0.1',
  port: 15270,
  ca: join(dir, 'peer-b.crt'),
});

describe('ejabberd federation config', () => {
  it('without peers: s2s_access none and no s2s listener, so no link either way', () => {
    const cfg = renderEjabberdConfig(desk());
    expect(cfg).toMatch(/^s2s_access: none$/m);
    expect(cfg).not.toContain('ejabberd_s2s_in');
    expect(cfg).not.toMatch(/s2s_use_starttls|s2s_cafile|s2s_peers/);
    expect(cfg).not.toContain('{{');
  });

  it("peers: a listener, STARTTLS required, our CA and the peers' as the only trust, no dialback, the peer domains only", () => {
    const opts = desk();
    const cfg = renderEjabberdConfig({
      ...opts,
      federation: { s2sPort: 15269, s2sInterface: '*', peers: [peerB(opts.dir)] },
    });
    expect(cfg).toMatch(/ {4}port: 15269\n {4}ip: "0\.0\.0\.0"\n {4}module: ejabberd_s2s_in\n/);
    expect(cfg).toMatch(/^s2s_use_starttls: required$/m);
    const cafile = join(opts.dir, 's2s', 's2s-ca.pem');
    expect(cfg).toContain(`s2s_cafile: ${JSON.stringify(cafile)}`);
    expect(readFileSync(cafile, 'utf8')).toBe(`${pem('OWN')}\n${pem('PEER-B')}\n`);
    expect(cfg).toMatch(
      /^s2s_protocol_options:\n {2}- "no_sslv2"\n {2}- "no_sslv3"\n {2}- "no_tlsv1"\n {2}- "no_tlsv1_1"$/m,
    );
    // XEP-0220 dialback is a module in ejabberd: never loaded, so SASL EXTERNAL is the only way in.
    expect(cfg).toMatch(/^modules:$/m);
    expect(cfg).not.toMatch(/^ {2}mod_s2s_dialback:/m);
    expect(cfg).toMatch(/^s2s_access: s2s_peers$/m);
    // A named ACL (its entries are alternatives), allowed by the rule s2s_access names.
    expect(cfg).toMatch(/^ {2}s2s_peers:\n {4}server:\n {6}- "deskb\.localhost"\n {6}- "pubsub\.deskb\.localhost"$/m);
    expect(cfg).toMatch(/^ {2}s2s_peers:\n {4}allow: s2s_peers$/m);
    expect(cfg).not.toMatch(/^s2s_access: none$/m);
    expect(cfg).toMatch(/^outgoing_s2s_families:\n {2}- "ipv4"$/m);
    expect(cfg).toMatch(/^s2s_max_retry_delay: 30$/m);
    expect(cfg).not.toContain('{{');
  });

  it('the listener binds loopback unless told otherwise; a missing peer CA stops the render naming it', () => {
    const opts = desk();
    const cfg = renderEjabberdConfig({ ...opts, federation: { s2sPort: 15269, peers: [peerB(opts.dir)] } });
    expect(cfg).toMatch(/ {4}port: 15269\n {4}ip: "127\.0\.0\.1"\n/);
    const bad = { ...peerB(opts.dir), ca: join(opts.dir, 'missing.crt') };
    expect(() => renderEjabberdConfig({ ...opts, federation: { s2sPort: 15269, peers: [bad] } })).toThrow(
      new InfraError(
        'TICKDESK_INFRA_PEER_CA_UNREADABLE',
        `the CA of peer deskb.localhost is missing: no file ${bad.ca}`,
      ),
    );
  });
});
