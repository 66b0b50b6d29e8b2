import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header carrying the signature (docs/alerts-protocol.md "Webhooks"). */
export const SIGNATURE_HEADER = 'Tickdesk-Signature';
/** How old a signed timestamp a receiver should accept, seconds (the tolerance we document). */
export const SIGNATURE_TOLERANCE_S = 300;

/** A new endpoint secret: 32 random bytes, as `whsec_<hex>`. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

/**
 * `t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: Stripe's scheme, so a receiver's
 * existing verifier works; the timestamp is signed with the body so a captured request
 * cannot be replayed after the tolerance.
 */
export function signature(secret: string, unixSeconds: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/** The receiver's check, as documented: true when `header` signs `body` and is recent enough. */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceS = SIGNATURE_TOLERANCE_S,
): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts['t']);
  if (!Number.isSafeInteger(t) || Math.abs(nowSeconds - t) > toleranceS || !parts['v1']) return false;
  const want = Buffer.from(signature(secret, t, body).slice(`t=${t},v1=`.length), 'hex');
  const got = Buffer.from(parts['v1'], 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}
