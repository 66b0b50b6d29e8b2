import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureCertificates } from './certs.js';

const DOMAIN = 'desk.localhost';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'tickdesk-certs-'));
  dirs.push(d);
  return join(d, 'certs');
};
const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
const read = (dir: string, f: string) => readFileSync(join(dir, f));
const cert = (dir: string) => new X509Certificate(read(dir, 'server.crt'));
const files = ['ca.crt', 'ca.key', 'server.crt', 'server.key'];
const snapshot = (dir: string) => Object.fromEntries(files.map((f) => [f, read(dir, f).toString('base64')]));

const OLD_NAMES = `DNS:${DOMAIN}, DNS:*.${DOMAIN}, DNS:localhost, IP:127.0.0.1`;

/** A desk's certificates as an older tickdesk made them (server authentication only), or with other names or days. */
function oldStyle(dir: string, { eku = 'serverAuth', names = OLD_NAMES, days = 825 } = {}) {
  mkdirSync(dir, { recursive: true });
  const ext = ['basicConstraints = critical, CA:FALSE', `extendedKeyUsage = ${eku}`, `subjectAltName = ${names}`];
  writeFileSync(join(dir, 'server.ext'), ext.join('\n') + '\n');
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  const caExt = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-days',
    '3650',
    '-subj',
    '/CN=old CA',
    ...caExt,
    '-out',
    'ca.crt',
  ]);
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key']);
  openssl(dir, ['req', '-new', '-key', 'server.key', '-subj', `/CN=${DOMAIN}`, '-out', 'server.csr']);
  const sign = [
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    String(days),
    '-extfile',
    'server.ext',
  ];
  openssl(dir, ['x509', '-req', '-in', 'server.csr', ...sign, '-out', 'server.crt']);
}

function recorder() {
  const lines: Array<{ obj: object; msg: string }> = [];
  return { lines, log: { warn: (obj: object, msg: string) => lines.push({ obj, msg }) } };
}

/**
 * Runs ensureCertificates on `dir` (after `change`, if any) and checks the new certificate: both
 * purposes, every name, signed by the unchanged CA, its key private. Returns what it logged.
 */
function expectReissued(dir: string, change?: () => void) {
  const before = snapshot(dir);
  change?.();
  const { lines, log } = recorder();
  ensureCertificates(dir, DOMAIN, { log });
  const after = snapshot(dir);
  expect(after['ca.crt']).toBe(before['ca.crt']);
  expect(after['ca.key']).toBe(before['ca.key']);
  expect(after['server.crt']).not.toBe(before['server.crt']);
  const c = cert(dir);
  expect(c.keyUsage).toEqual(expect.arrayContaining([SERVER_AUTH, CLIENT_AUTH]));
  expect(c.subjectAltName?.split(', ')).toEqual(
    expect.arrayContaining([`DNS:${DOMAIN}`, `DNS:*.${DOMAIN}`, 'DNS:localhost', 'IP Address:127.0.0.1']),
  );
  expect(c.verify(new X509Certificate(read(dir, 'ca.crt')).publicKey)).toBe(true);
  expect(statSync(join(dir, 'server.key')).mode & 0o777).toBe(0o600);
  // openssl itself agrees the chain holds, for a TLS client that checks the purpose.
  expect(() => openssl(dir, ['verify', '-CAfile', 'ca.crt', '-purpose', 'sslclient', 'server.crt'])).not.toThrow();
  return lines;
}

describe('ensureCertificates', () => {
  it('makes a CA and a server certificate for both purposes; a second call leaves every file as it was', () => {
    const dir = scratch();
    const { lines, log } = recorder();
    ensureCertificates(dir, DOMAIN, { log });
    const first = snapshot(dir);
    expect(cert(dir).keyUsage).toEqual(expect.arrayContaining([SERVER_AUTH, CLIENT_AUTH]));
    ensureCertificates(dir, DOMAIN, { log });
    expect(snapshot(dir)).toEqual(first);
    expect(lines).toEqual([]);
  });

  it('re-issues an old server certificate without clientAuth, signed by the same CA, and says why', () => {
    const dir = scratch();
    oldStyle(dir);
    expect(cert(dir).keyUsage).not.toContain(CLIENT_AUTH);
    const lines = expectReissued(dir);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/re-issued/);
    expect(lines[0]!.obj).toMatchObject({ reasons: ['not valid for client authentication'] });
  });

  it('re-issues a server certificate that lacks a name of the domain', () => {
    const dir = scratch();
    oldStyle(dir, { eku: 'serverAuth, clientAuth', names: 'DNS:other.localhost' });
    expect(JSON.stringify(expectReissued(dir)[0]?.obj)).toContain(`not valid for *.${DOMAIN}`);
  });

  it('re-issues a server certificate that expires within 30 days', () => {
    const dir = scratch();
    oldStyle(dir, {
      eku: 'serverAuth, clientAuth',
      names: OLD_NAMES,
      days: 20,
    });
    expect(JSON.stringify(expectReissued(dir)[0]?.obj)).toContain('expires');
    expect(new Date(cert(dir).validTo).getTime() - Date.now()).toBeGreaterThan(365 * 86_400_000);
  });

  it('a deleted server certificate is made again by the same CA', () => {
    const dir = scratch();
    oldStyle(dir);
    // Nothing to say: there was no certificate to replace.
    expect(expectReissued(dir, () => rmSync(join(dir, 'server.crt')))).toEqual([]);
  });

  it('without the CA key it keeps the old certificate and warns (a new CA would break the partners\u2019 trust)', () => {
    const dir = scratch();
    oldStyle(dir);
    rmSync(join(dir, 'ca.key'));
    const crt = read(dir, 'server.crt').toString('base64');
    const ca = read(dir, 'ca.crt').toString('base64');
    const { lines, log } = recorder();
    ensureCertificates(dir, DOMAIN, { log });
    expect(read(dir, 'server.crt').toString('base64')).toBe(crt);
    expect(read(dir, 'ca.crt').toString('base64')).toBe(ca);
    expect(lines[0]?.msg).toMatch(/ca\.key/);
  });
});
