import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { certPaths } from './certs.js';
import { InfraError } from './errors.js';
import { renderProsodyConfig, type ProsodyOptions } from './prosody-server.js';

const pem = (name: string) => `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----`;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function desk(): ProsodyOptions {
  const dir = mkdtempSync(join(tmpdir(), 'tickdesk-federation-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'ca.crt'), `our CA\n${pem('OWN')}\n`);
  writeFileSync(join(dir, 'peer-b.crt'), pem('PEER-B'));
  writeFileSync(join(dir, 'peer-c.crt'), pem('PEER-C'));
  return {
    dir,
    domain: 'desk.localhost',
    c2sPort: 5222,
    c2sDirectTlsPort: 5223,
    httpPort: 5280,
    certs: certPaths(dir),
    admins: [],
    pubsubAdmins: [],
    unlimited: [],
  };
}

const peer = (dir: string, d: string, port: number) => ({
  domain: `desk${d}.localhost`,
  host: '127.0.0.1',
  port,
  ca: join(dir, `peer-${d}.crt`),
});

describe('Prosody federation config', () => {
  it('without peers: mod_s2s and mod_dialback disabled, so no s2s listener and no link', () => {
    const cfg = renderProsodyConfig(desk());
    expect(cfg).toMatch(/^modules_disabled = \{ "s2s", "dialback", "register", "bosh" \}$/m);
    expect(cfg).not.toMatch(/^s2s_ports/m);
    expect(cfg).not.toContain('s2s_bidi');
    expect(cfg).not.toContain('tickdesk_federation');
    expect(cfg).not.toContain('{{');
  });

  it('with peers: a listener on the s2s port, certificates required, routes and the allow-list', () => {
    const opts = desk();
    const cfg = renderProsodyConfig({
      ...opts,
      federation: { s2sPort: 5370, peers: [peer(opts.dir, 'b', 5270), peer(opts.dir, 'c', 5271)] },
    });
    expect(cfg).toMatch(/^modules_disabled = \{ "dialback", "register", "bosh" \}$/m);
    expect(cfg).toMatch(/^s2s_ports = \{ 5370 \}$/m);
    expect(cfg).toMatch(/^s2s_interfaces = \{ "127\.0\.0\.1" \}$/m);
    expect(cfg).toMatch(/^s2s_require_encryption = true$/m);
    expect(cfg).toMatch(/^s2s_secure_auth = true$/m);
    expect(cfg).toMatch(/^ {2}"s2s_bidi";/m);
    expect(cfg).toMatch(/^ {2}"tickdesk_s2sout_override";/m);
    expect(cfg).toMatch(/^ {2}"tickdesk_federation";/m);
    expect(cfg).not.toMatch(/"dialback";/);
    expect(cfg).toContain('  ["deskb.localhost"] = "tcp://127.0.0.1:5270";');
    expect(cfg).toContain('  ["pubsub.deskb.localhost"] = "tcp://127.0.0.1:5270";');
    expect(cfg).toContain('  ["pubsub.deskc.localhost"] = "tcp://127.0.0.1:5271";');
    expect(cfg).toMatch(
      /^tickdesk_federated_domains = \{ "deskb\.localhost", "pubsub\.deskb\.localhost", "deskc\.localhost", "pubsub\.deskc\.localhost" \}$/m,
    );
    // The pubsub component guards its own links.
    expect(cfg).toMatch(
      /^Component "pubsub\.desk\.localhost" "pubsub"[\s\S]*modules_enabled = \{ "tickdesk_federation" \}/m,
    );
    const cafile = join(opts.dir, 's2s', 's2s-ca.pem');
    expect(cfg).toContain(`s2s_ssl = { cafile = "${cafile}"; capath = "${join(opts.dir, 's2s', 's2s-capath')}"; }`);
    // Our CA first, then each peer's: certificates only, nothing else of the files.
    expect(readFileSync(cafile, 'utf8')).toBe(`${pem('OWN')}\n${pem('PEER-B')}\n${pem('PEER-C')}\n`);
    expect(statSync(join(opts.dir, 's2s', 's2s-capath')).isDirectory()).toBe(true);
  });

  it('binds the interface it is given', () => {
    const opts = desk();
    const cfg = renderProsodyConfig({
      ...opts,
      federation: { s2sPort: 5269, s2sInterface: '0.0.0.0', peers: [peer(opts.dir, 'b', 5269)] },
    });
    expect(cfg).toMatch(/^s2s_interfaces = \{ "0\.0\.0\.0" \}$/m);
  });

  it('names the peer whose CA file is missing or holds no certificate', () => {
    const opts = desk();
    const missing = { ...peer(opts.dir, 'b', 5270), ca: join(opts.dir, 'nope.crt') };
    expect(() => renderProsodyConfig({ ...opts, federation: { s2sPort: 5269, peers: [missing] } })).toThrow(
      new InfraError(
        'TICKDESK_INFRA_PEER_CA_UNREADABLE',
        `the CA of peer deskb.localhost is missing: no file ${missing.ca}`,
      ),
    );
    writeFileSync(join(opts.dir, 'empty.crt'), 'not a certificate');
    const empty = { ...peer(opts.dir, 'c', 5270), ca: join(opts.dir, 'empty.crt') };
    expect(() => renderProsodyConfig({ ...opts, federation: { s2sPort: 5269, peers: [empty] } })).toThrow(
      /the CA of peer deskc\.localhost \(.*empty\.crt\) holds no PEM certificate/,
    );
  });
});
