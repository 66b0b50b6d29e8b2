import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/** Where ensureCertificates says it re-issued (or could not re-issue) the server certificate (a pino logger fits). */
export interface CertLog {
  warn(obj: object, msg: string): void;
}

export function certPaths(dir: string): CertPaths {
  return { dir, caCert: join(dir, 'ca.crt'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key') };
}

/** A server certificate this close to its end is re-issued at the next start. */
const RENEW_BEFORE_MS = 30 * 86_400_000;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const SERVER_DAYS = 825;

const serverNames = (domain: string) => [`DNS:${domain}`, `DNS:*.${domain}`, 'DNS:localhost', 'IP:127.0.0.1'];

/**
 * Why the server certificate must be re-issued, or [] if it is fine: both purposes (on an s2s
 * link the desk's server is also the client, SASL EXTERNAL per XEP-0178, and ejabberd refuses a
 * certificate without clientAuth), every name the desk is reached by, issued by the desk's CA,
 * and more than 30 days left.
 */
function serverCertificateFaults(paths: CertPaths, domain: string, now = Date.now()): string[] {
  const cert = new X509Certificate(readFileSync(paths.serverCert));
  const ca = new X509Certificate(readFileSync(paths.caCert));
  const faults: string[] = [];
  const purposes = cert.keyUsage ?? [];
  if (!purposes.includes(SERVER_AUTH)) faults.push('not valid for server authentication');
  if (!purposes.includes(CLIENT_AUTH)) faults.push('not valid for client authentication');
  const has = new Set((cert.subjectAltName ?? '').split(', ').map((n) => n.replace(/^IP Address:/, 'IP:')));
  for (const name of serverNames(domain))
    if (!has.has(name)) faults.push(`not valid for ${name.slice(name.indexOf(':') + 1)}`);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) faults.push("not issued by the desk's CA");
  const end = new Date(cert.validTo).getTime();
  if (end - now < RENEW_BEFORE_MS) faults.push(`expires ${new Date(end).toISOString()}`);
  return faults;
}

function openssl(dir: string): (args: string[]) => void {
  const bin = requireBinary('openssl', 'openssl');
  return (args) => {
    try {
      execFileSync(bin, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
      throw new InfraError('TICKDESK_INFRA_CERT_FAILED', `openssl ${args[0]} failed: ${stderr.trim()}`);
    }
  };
}

function makeCa(dir: string, domain: string): void {
  const run = openssl(dir);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  chmodSync(join(dir, 'ca.key'), 0o600);
  const ext = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  const subj = `/CN=tickdesk local CA (${domain})`;
  run(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '3650', '-subj', subj, ...ext, '-out', 'ca.crt']);
}

/** A server certificate signed by the CA in `dir`, for the existing server key if there is one; replaces server.crt whole. */
function issueServer(paths: CertPaths, domain: string): void {
  const run = openssl(paths.dir);
  writeFileSync(
    join(paths.dir, 'server.ext'),
    [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth, clientAuth',
      `subjectAltName = ${serverNames(domain).join(', ')}`,
      '',
    ].join('\n'),
  );
  if (!existsSync(paths.serverKey)) run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key']);
  chmodSync(paths.serverKey, 0o600);
  run(['req', '-new', '-key', 'server.key', '-subj', `/CN=${domain}`, '-out', 'server.csr']);
  const ca = ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'];
  const out = ['-days', String(SERVER_DAYS), '-sha256', '-extfile', 'server.ext', '-out', 'server.crt.new'];
  run(['x509', '-req', '-in', 'server.csr', ...ca, ...out]);
  // Renamed into place: a failed openssl run never leaves the desk without its old certificate.
  renameSync(join(paths.dir, 'server.crt.new'), paths.serverCert);
}

/**
 * A local CA and a server certificate for the XMPP domain and its components, made once with
 * openssl and reused. Clients verify the server against the CA; nothing turns certificate
 * checks off. The CA is never replaced once made (partner desks trust it: their peers file
 * names it), but a server certificate with a fault (serverCertificateFaults: an older desk's
 * without clientAuth, a name missing, 30 days or less left) is re-issued by the same CA at
 * the next start, and said on `log`. Without the CA key it is kept, with a warning.
 */
export function ensureCertificates(dir: string, domain: string, opts: { log?: CertLog } = {}): CertPaths {
  const paths = certPaths(dir);
  const caKey = join(dir, 'ca.key');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(paths.caCert)) {
    if (existsSync(paths.serverCert)) rmSync(paths.serverCert);
    makeCa(dir, domain);
  }
  if (!existsSync(paths.serverCert)) {
    if (!existsSync(caKey)) {
      throw new InfraError(
        'TICKDESK_INFRA_CERT_FAILED',
        `${paths.serverCert} is missing and so is ${caKey}: a new server certificate needs the desk's CA key ` +
          `(restore it from a backup; a new CA would have to be sent again to every partner desk).`,
      );
    }
    issueServer(paths, domain);
    return paths;
  }
  const reasons = serverCertificateFaults(paths, domain);
  if (reasons.length === 0) return paths;
  if (!existsSync(caKey)) {
    opts.log?.warn(
      { cert: paths.serverCert, reasons },
      `the server certificate should be re-issued, but ${caKey} is missing: kept as it is`,
    );
    return paths;
  }
  issueServer(paths, domain);
  opts.log?.warn({ cert: paths.serverCert, reasons }, "server certificate re-issued by the desk's unchanged CA");
  return paths;
}
