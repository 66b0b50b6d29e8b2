import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';
import { InfraError } from './errors.js';

export interface CertPaths {
  dir: string;
  /** The desk's own certificate authority; clients trust exactly this file. */
  caCert: string;
  serverCert: string;
  serverKey: string;
}

export function certPaths(dir: string): CertPaths {
  return { dir, caCert: join(dir, 'ca.crt'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key') };
}

/**
 * A local CA and a server certificate for the XMPP domain and its components, made
 * once with openssl and reused. Clients verify the server against the CA; nothing
 * turns certificate checks off.
 */
export function ensureCertificates(dir: string, domain: string): CertPaths {
  const paths = certPaths(dir);
  if (existsSync(paths.caCert) && existsSync(paths.serverCert) && existsSync(paths.serverKey)) return paths;
  const openssl = requireBinary('openssl', 'openssl');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const run = (args: string[]) => {
    try {
      execFileSync(openssl, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
      throw new InfraError('TICKDESK_INFRA_CERT_FAILED', `openssl ${args[0]} failed: ${stderr.trim()}`);
    }
  };
  const ext = join(dir, 'server.ext');
  writeFileSync(
    ext,
    [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      // clientAuth too: on a server-to-server link the desk's server presents it as the client
      // (SASL EXTERNAL, XEP-0178), and ejabberd refuses one without it ("unsupported certificate purpose").
      'extendedKeyUsage = serverAuth, clientAuth',
      `subjectAltName = DNS:${domain}, DNS:*.${domain}, DNS:localhost, IP:127.0.0.1`,
      '',
    ].join('\n'),
  );
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  run([
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-sha256',
    '-days',
    '3650',
    '-subj',
    `/CN=tickdesk local CA (${domain})`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    'ca.crt',
  ]);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key']);
  run(['req', '-new', '-key', 'server.key', '-subj', `/CN=${domain}`, '-out', 'server.csr']);
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '825',
    '-sha256',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  ]);
  chmodSync(join(dir, 'ca.key'), 0o600);
  chmodSync(paths.serverKey, 0o600);
  return paths;
}
