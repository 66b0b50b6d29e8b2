import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Peers a desk links with unless its configuration says otherwise (TICKDESK_PEERS_MAX). */
export const DEFAULT_MAX_PEERS = 16;
/** The port a desk accepts server-to-server links on (RFC 6120 §14.7: xmpp-server is 5269). */
export const DEFAULT_S2S_PORT = 5269;

const Domain = Type.String({
  pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$',
  maxLength: 253,
});

/**
 * A partner desk: its XMPP domain (its pubsub service is `pubsub.<domain>`), where its
 * server accepts server-to-server links, and the CA that signed its certificate. Links
 * go to `host:port` whatever DNS says, and TLS still verifies the certificate for `domain`.
 */
export const FederationPeer = Type.Object(
  {
    domain: Domain,
    /** A name or IPv4 address. */
    host: Type.String({ pattern: '^[A-Za-z0-9.-]{1,253}$' }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** Path of the peer's CA certificate (PEM); relative paths are relative to the peers file. */
    ca: Type.String({ minLength: 1, maxLength: 4096 }),
  },
  { additionalProperties: false },
);
export type FederationPeer = Static<typeof FederationPeer>;

/** The federation part of a desk's topology: absent when the desk has no peers (no s2s listener at all). */
export const DeskFederation = Type.Object({
  /** Where this desk accepts server-to-server links. */
  s2sPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  s2sInterface: Type.String({ pattern: '^[A-Za-z0-9.:*-]{1,253}$' }),
  peers: Type.Array(FederationPeer, { minItems: 1, maxItems: 1024 }),
});
export type DeskFederation = Static<typeof DeskFederation>;

/**
 * A peers file's text (a JSON array of peers), checked: at most `maxPeers` entries, each
 * domain once and not the desk's own. Throws one message naming `source` (the variable
 * and file) and the entry (`entry 2 (deskb.example)`) at fault.
 */
export function parsePeers(
  text: string,
  opts: { source: string; ownDomain: string; maxPeers?: number },
): FederationPeer[] {
  const max = opts.maxPeers ?? DEFAULT_MAX_PEERS;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TypeError(`${opts.source} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(value)) throw new TypeError(`${opts.source} must be a JSON array of peers`);
  if (value.length > max)
    throw new TypeError(`${opts.source} lists ${value.length} peers; at most ${max} (TICKDESK_PEERS_MAX)`);
  const seen = new Set<string>();
  return value.map((entry: unknown, i) => {
    const named = `${opts.source} entry ${i + 1}${entryDomain(entry)}`;
    const error = Value.Errors(FederationPeer, entry).First();
    if (error) throw new TypeError(`${named}: ${error.path.slice(1) || 'the entry'} ${error.message}`);
    const peer = entry as FederationPeer;
    for (const d of [peer.domain, `pubsub.${peer.domain}`]) {
      if (d === opts.ownDomain || d === `pubsub.${opts.ownDomain}`)
        throw new TypeError(`${named}: ${d} is this desk's own domain`);
      if (seen.has(d)) throw new TypeError(`${named}: ${d} is listed twice`);
      seen.add(d);
    }
    return peer;
  });
}

function entryDomain(entry: unknown): string {
  const d = (entry as { domain?: unknown } | null)?.domain;
  return typeof d === 'string' ? ` (${d.slice(0, 64)})` : '';
}
