import { createSocket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { federatedDomains, type FederationPeerOptions } from './federation.js';
import {
  decodeQuery,
  encodeAnswer,
  isInternetClass,
  RCODE,
  RR,
  type DnsQuestion,
  type DnsRecord,
  type Rcode,
} from './peer-dns-wire.js';

/** Answers live this long in the asking resolver's cache (seconds); the peers change only with a restart. */
const TTL_S = 60;
/** RFC 6120 §3.2.1: where a domain's server-to-server service is, by SRV. */
const S2S_SRV = '_xmpp-server._tcp.';

/** A name's addresses of one family (`dns.lookup` by default; tests pass their own). */
export type AddressLookup = (host: string, family: 4 | 6) => Promise<string[]>;

const systemLookup: AddressLookup = async (host, family) =>
  (await dnsLookup(host, { all: true, family })).map((a) => a.address);

/** What the responder says to one question: an rcode and records. */
export interface PeerDnsReply {
  rcode: Rcode;
  records: DnsRecord[];
}

/**
 * The answers for the peers' domains, and nothing else: `_xmpp-server._tcp.<d>` is SRV
 * the peer's host on its port, for each peer domain d and `pubsub.<d>`; `<d>`, and the
 * host when it is a name, are A (AAAA) the host's addresses. The SRV target is the host
 * itself because ejabberd 23.01 (xmpp 1.6) looks a target up with the system's
 * getaddrinfo, not with this resolver: an address or a name the system knows works there.
 * Another name under a peer's domain is NXDOMAIN (so `_xmpps-server._tcp.<d>`, direct TLS,
 * is not tried); a name elsewhere is REFUSED.
 */
export function peerDnsAnswers(
  peers: readonly FederationPeerOptions[],
  lookup: AddressLookup = systemLookup,
): (q: Pick<DnsQuestion, 'name' | 'type'>) => Promise<PeerDnsReply> {
  const byDomain = new Map(peers.flatMap((p) => federatedDomains([p]).map((d) => [d, p] as const)));
  const byName = new Map([
    ...peers.filter((p) => isIP(p.host) === 0).map((p) => [p.host.toLowerCase(), p] as const),
    ...byDomain,
  ]);
  const peerDomains = peers.map((p) => p.domain);
  const under = (name: string) => peerDomains.some((d) => name === d || name.endsWith(`.${d}`));
  const addresses = async (host: string, family: 4 | 6): Promise<string[]> => {
    const literal = isIP(host);
    if (literal !== 0) return literal === family ? [host] : [];
    try {
      return await lookup(host, family);
    } catch {
      return [];
    }
  };
  return async ({ name, type }) => {
    if (name.startsWith(S2S_SRV)) {
      const domain = name.slice(S2S_SRV.length);
      const peer = byDomain.get(domain);
      if (peer) {
        const records: DnsRecord[] =
          type === RR.SRV ? [{ type: RR.SRV, priority: 0, weight: 0, port: peer.port, target: peer.host }] : [];
        return { rcode: RCODE.NOERROR, records };
      }
    }
    const peer = byName.get(name);
    if (peer) {
      if (type !== RR.A && type !== RR.AAAA) return { rcode: RCODE.NOERROR, records: [] };
      const rtype = type === RR.A ? RR.A : RR.AAAA;
      const found = (await addresses(peer.host, rtype === RR.A ? 4 : 6)).slice(0, 8);
      return { rcode: RCODE.NOERROR, records: found.map((address) => ({ type: rtype, address })) };
    }
    return { rcode: under(name) ? RCODE.NXDOMAIN : RCODE.REFUSED, records: [] };
  };
}

export interface PeerDns {
  /** The UDP port on 127.0.0.1 it answers on. */
  readonly port: number;
  /** Questions answered, and datagrams dropped as malformed or too large, since the start. */
  stats(): { answered: number; dropped: number };
  stop(): Promise<void>;
}

/**
 * A DNS responder on 127.0.0.1 (UDP, a free port) that knows only the peers' domains
 * ({@link peerDnsAnswers}): ejabberd's resolver (Erlang's inet_res, pointed at it by the
 * node's inetrc) finds each peer's server there, since ejabberd has no option routing a
 * domain to a fixed host and port. Malformed datagrams and datagrams over 512 bytes get no
 * answer; a question of another class than IN is REFUSED.
 */
export async function startPeerDns({
  peers,
  lookup,
}: {
  peers: readonly FederationPeerOptions[];
  lookup?: AddressLookup;
}): Promise<PeerDns> {
  const answer = peerDnsAnswers(peers, lookup);
  const socket = createSocket('udp4');
  let answered = 0;
  let dropped = 0;
  socket.on('message', (msg, from) => {
    const q = decodeQuery(msg);
    if (!q) {
      dropped++;
      return;
    }
    const reply: Promise<PeerDnsReply> = isInternetClass(q)
      ? answer(q)
      : Promise.resolve({ rcode: RCODE.REFUSED, records: [] });
    void reply.then((r) => {
      answered++;
      socket.send(encodeAnswer(q, r.rcode, r.records, TTL_S), from.port, from.address);
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // A send to a resolver that went away is nothing to stop for.
  socket.on('error', () => undefined);
  return {
    port: socket.address().port,
    stats: () => ({ answered, dropped }),
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/**
 * ejabberd's inetrc (ERL_INETRC, which ejabberdctl sets to `<config dir>/inetrc`): names
 * from the hosts file, then DNS from the responder on `port` only. `resolv_conf ""` keeps
 * /etc/resolv.conf's servers out of inet_res (Erlang kernel, "Inet Configuration").
 */
export const peerDnsInetrc = (port: number): string =>
  [
    '%% Rendered by @tickdesk/infra on every start: the desk resolves its peers (infra/src/peer-dns.ts).',
    '{lookup, ["file", "dns"]}.',
    '{resolv_conf, ""}.',
    `{nameserver, {127,0,0,1}, ${port}}.`,
    '{timeout, 2000}.',
    '{retry, 2}.',
    '',
  ].join('\n');
