import { BlockList, isIP } from 'node:net';
import { WEBHOOK_URL_MAX_LENGTH } from '@tickdesk/schemas/rest';

/** What an endpoint URL is checked against (docs/alerts-protocol.md "Webhooks", URL policy). */
export interface UrlPolicy {
  /** Loopback, private, link-local and unique-local addresses allowed (default false). */
  allowPrivate: boolean;
  /** The desk's own listeners as `host:port` (its API, and every port it listens on at loopback). */
  self: readonly string[];
}

// RFC 1918, RFC 6598 (CGNAT), loopback, link-local (cloud metadata at 169.254.169.254),
// "this network", and their IPv6 counterparts (RFC 4193 unique-local, RFC 4291 link-local).
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.', '127.0.0.1', '[::1]', '::1']);

/** Whether `address` (an IP literal) is loopback or private; an IPv4-mapped IPv6 address counts as its IPv4 one. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  const ip = mapped ?? bare;
  const family = isIP(ip);
  if (family === 0) return false;
  return PRIVATE.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Why `text` may not be an endpoint URL (a message naming the field), or undefined. Host
 * names are checked again once resolved, at each delivery (webhook-post.ts), so a name
 * that resolves to a private address is refused there too.
 */
export function urlProblem(text: string, policy: UrlPolicy): string | undefined {
  if (text.length > WEBHOOK_URL_MAX_LENGTH) return `body field "url": longer than ${WEBHOOK_URL_MAX_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'body field "url": not an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'body field "url": must be http or https';
  if (url.username || url.password)
    return 'body field "url": credentials in the URL are refused (the signature authenticates)';
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const loopback = LOOPBACK_NAMES.has(host) || (isPrivateAddress(host) && host.startsWith('127.'));
  const selfMatch = policy.self.some((s) => {
    const at = s.lastIndexOf(':');
    const [h, p] = [s.slice(0, at).toLowerCase(), s.slice(at + 1)];
    return p === port && (h === host || (loopback && LOOPBACK_NAMES.has(h)) || (loopback && h.startsWith('127.')));
  });
  if (selfMatch) return 'body field "url": points at the desk itself';
  if (!policy.allowPrivate && (LOOPBACK_NAMES.has(host) || isPrivateAddress(host)))
    return 'body field "url": a loopback or private address (TICKDESK_WEBHOOKS_ALLOW_PRIVATE is false)';
  return undefined;
}
