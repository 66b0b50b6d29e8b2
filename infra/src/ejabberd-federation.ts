import { join } from 'node:path';
import type { CertPaths } from './certs.js';
import { federatedDomains, writeS2sTrust, type FederationOptions } from './federation.js';

/** The template's federation placeholders (ejabberd.yml.tmpl). */
export interface EjabberdFederationVars {
  /** Top-level s2s options, or `s2s_access: none` (no link at all). */
  s2sConfig: string;
  /** The ejabberd_s2s_in listener entry (under `listen:`), or nothing. */
  s2sListener: string;
  /** The ACL of the peer domains (under `acl:`), or nothing. */
  s2sAcl: string;
  /** The access rule allowing that ACL (under `access_rules:`), or nothing. */
  s2sAccessRule: string;
}

/** Seconds a failed link's stanzas bounce before the next attempt, at most (ejabberd's default 300). */
const EJABBERD_S2S_RETRY_DELAY_S = 30;

const q = (s: string) => JSON.stringify(s);

/** `*` (every IPv4 address, Prosody's spelling) as ejabberd writes it. */
const listenIp = (iface: string | undefined) => (iface === undefined ? '127.0.0.1' : iface === '*' ? '0.0.0.0' : iface);

/**
 * The federation part of ejabberd's config. No peers: `s2s_access: none`, no listener, so
 * no link either way. Peers: an ejabberd_s2s_in listener on `s2sPort`; STARTTLS required
 * on every link (`s2s_use_starttls: required`); the desk's CA and the peers' CAs as the only
 * trust (`s2s_cafile`, written under `<dir>/s2s/`); mod_s2s_dialback (XEP-0220) is not
 * loaded, so a link authenticates only by SASL EXTERNAL with a verified certificate
 * (XEP-0178); and `s2s_access` allows the peer domains only, both ways. Where each peer's
 * server is comes from the desk's own DNS responder (peer-dns.ts), not from an option.
 */
export function ejabberdFederationVars(
  dir: string,
  certs: CertPaths,
  federation: FederationOptions | undefined,
): EjabberdFederationVars {
  const peers = federation?.peers ?? [];
  if (!federation || peers.length === 0) {
    return {
      s2sConfig:
        '## No federation: no s2s listener, no outgoing s2s (`none` is the built-in deny-all rule).\ns2s_access: none',
      s2sListener: '',
      s2sAcl: '',
      s2sAccessRule: '',
    };
  }
  const trust = writeS2sTrust(join(dir, 's2s'), certs.caCert, peers);
  return {
    s2sConfig: [
      '## Federation (docs/operations.md, "Federated desks"): links with the peer desks only.',
      '## TLS on every link; peers present certificates chaining to one of these CAs (the',
      "## desk's own and each peer's); no mod_s2s_dialback, so SASL EXTERNAL is the only way in.",
      's2s_access: s2s_peers',
      's2s_use_starttls: required',
      `s2s_cafile: ${q(trust.cafile)}`,
      's2s_protocol_options:',
      '  - "no_sslv2"',
      '  - "no_sslv3"',
      '  - "no_tlsv1"',
      '  - "no_tlsv1_1"',
      "## The desk's resolver answers on loopback at once; a peer is IPv4 (its host in the peers file).",
      's2s_dns_timeout: 3',
      's2s_dns_retries: 1',
      'outgoing_s2s_families:',
      '  - "ipv4"',
      `s2s_max_retry_delay: ${EJABBERD_S2S_RETRY_DELAY_S}`,
    ].join('\n'),
    s2sListener: [
      '  -',
      '    ## Server-to-server links (RFC 6120); s2s_access decides which domains.',
      `    port: ${federation.s2sPort}`,
      `    ip: ${q(listenIp(federation.s2sInterface))}`,
      '    module: ejabberd_s2s_in',
      '    max_stanza_size: 524288',
    ].join('\n'),
    // A named ACL: its entries are alternatives. Listed inline in the access rule they would
    // all have to match at once (acl:match_acls), which no one domain does.
    s2sAcl: ['  s2s_peers:', '    server:', ...federatedDomains(peers).map((d) => `      - ${q(d)}`)].join('\n'),
    s2sAccessRule: ['  s2s_peers:', '    allow: s2s_peers'].join('\n'),
  };
}
