import { join } from 'node:path';
import type { CertPaths } from './certs.js';
import { federatedDomains, writeS2sTrust, type FederationOptions } from './federation.js';
import { luaList } from './template.js';

/** The template's federation placeholders (prosody.cfg.lua.tmpl). */
export interface ProsodyFederationVars {
  /** Global modules added for s2s (after the desk's own). */
  federationModules: string;
  /** modules_disabled: s2s unless the desk has peers; never dialback (XEP-0220). */
  modulesDisabled: string;
  /** The global s2s settings, or a comment saying s2s is off. */
  federationConfig: string;
  /** The pubsub component's own module list: the federated-domains check on its links too. */
  componentModules: string;
}

const lua = (s: string) => JSON.stringify(s);

/**
 * The federation part of Prosody's config. No peers: mod_s2s is disabled, so there is no s2s
 * listener and no outgoing link. Peers: an s2s listener on `s2sPort`, TLS and certificate
 * authentication required (SASL EXTERNAL, XEP-0178; `s2s_secure_auth`, so dialback is never a
 * fallback, and mod_dialback is disabled), XEP-0288 bidirectional links (mod_s2s_bidi, in
 * Prosody since 0.12), the desk's CA and the peers' CAs as the only trust on these links,
 * each peer domain routed to its fixed host:port (modules/mod_tickdesk_s2sout_override.lua,
 * the option shape of mod_s2sout_override), and links with listed domains only
 * (modules/mod_tickdesk_federation.lua). Writes the CA bundle under `<dir>/s2s/`.
 */
export function prosodyFederationVars(
  dir: string,
  certs: CertPaths,
  federation: FederationOptions | undefined,
): ProsodyFederationVars {
  const peers = federation?.peers ?? [];
  if (!federation || peers.length === 0) {
    return {
      federationModules: '',
      modulesDisabled: luaList(['s2s', 'dialback', 'register', 'bosh']),
      federationConfig: '-- No peers: no server-to-server links (mod_s2s is disabled, so there is no s2s listener).',
      componentModules: '',
    };
  }
  const trust = writeS2sTrust(join(dir, 's2s'), certs.caCert, peers);
  const routes = peers.flatMap((p) =>
    federatedDomains([p]).map((d) => `  [${lua(d)}] = ${lua(`tcp://${p.host}:${p.port}`)};`),
  );
  return {
    federationModules: [
      '"s2s_bidi";                  -- XEP-0288: one link carries both directions',
      '  "tickdesk_s2sout_override";  -- modules/: peer domains to their fixed host:port',
      '  "tickdesk_federation";       -- modules/: links with listed domains only',
    ].join('\n'),
    modulesDisabled: luaList(['dialback', 'register', 'bosh']),
    federationConfig: [
      '-- Federation (docs/operations.md, "Federated desks"): links with the peer desks only.',
      `s2s_ports = { ${federation.s2sPort} }`,
      `s2s_interfaces = { ${lua(federation.s2sInterface ?? '127.0.0.1')} }`,
      's2s_direct_tls_ports = { }',
      "-- Peers present certificates chaining to one of these CAs (the desk's own and each",
      "-- peer's); capath is an empty folder, so no system CA is trusted on these links.",
      `s2s_ssl = { cafile = ${lua(trust.cafile)}; capath = ${lua(trust.capath)}; }`,
      's2sout_override = {',
      ...routes,
      '}',
      `tickdesk_federated_domains = { ${luaList(federatedDomains(peers))} }`,
    ].join('\n'),
    componentModules: '  modules_enabled = { "tickdesk_federation" }',
  };
}
