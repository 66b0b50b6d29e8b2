import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from './errors.js';

/** A partner desk's server: links to `domain` and `pubsub.<domain>` go to `host:port`. */
export interface FederationPeerOptions {
  domain: string;
  host: string;
  port: number;
  /** The peer's CA certificate (PEM file): its server's certificate must chain to it. */
  ca: string;
}

/** Server-to-server links with listed peers only; without it the server has no s2s at all. */
export interface FederationOptions {
  s2sPort: number;
  /** The address the s2s listener binds (default 127.0.0.1). */
  s2sInterface?: string;
  peers: readonly FederationPeerOptions[];
}

/** The domains a peer's links carry: its server and its pubsub service. */
export const federatedDomains = (peers: readonly Pick<FederationPeerOptions, 'domain'>[]): string[] =>
  peers.flatMap((p) => [p.domain, `pubsub.${p.domain}`]);

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The CAs trusted on server-to-server links, as one PEM file under `dir`: the desk's own CA
 * and each peer's. An unreadable file, or one with no certificate, names the peer and the path.
 */
export function writeS2sTrust(
  dir: string,
  ownCa: string,
  peers: readonly FederationPeerOptions[],
): { cafile: string; capath: string } {
  const pems = [readCa(ownCa, "the desk's own CA")];
  for (const p of peers) pems.push(readCa(p.ca, `the CA of peer ${p.domain}`));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cafile = join(dir, 's2s-ca.pem');
  writeFileSync(cafile, pems.join('\n') + '\n', { mode: 0o644 });
  // An empty directory in place of the system's CA folder (/etc/ssl/certs, Prosody's default
  // capath): on these links only the bundle above is trusted, never a public CA.
  const capath = join(dir, 's2s-capath');
  mkdirSync(capath, { recursive: true, mode: 0o700 });
  return { cafile, capath };
}

function readCa(path: string, what: string): string {
  if (!existsSync(path))
    throw new InfraError('TICKDESK_INFRA_PEER_CA_UNREADABLE', `${what} is missing: no file ${path}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InfraError('TICKDESK_INFRA_PEER_CA_UNREADABLE', `${what} (${path}) is unreadable: ${String(err)}`);
  }
  const certs = text.match(PEM_CERT);
  if (!certs) throw new InfraError('TICKDESK_INFRA_PEER_CA_UNREADABLE', `${what} (${path}) holds no PEM certificate`);
  return certs.join('\n');
}
