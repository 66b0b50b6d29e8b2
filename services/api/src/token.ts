import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Caller, Role } from './deps.js';
import { ApiError } from './errors.js';
import { isRole, USERNAME_PATTERN } from './roles.js';

/*
 * Bearer tokens are JWTs (RFC 7519) signed with HMAC-SHA256 (RFC 7518 §3.2). Only
 * the exact header below is accepted, so no "alg" in a token can change how it is
 * checked (the alg=none and key-confusion attacks).
 */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const ISSUER = 'tickdesk-api';
const PART = /^[A-Za-z0-9_-]+$/;
const USER = new RegExp(USERNAME_PATTERN);
const MAX_TOKEN_LENGTH = 2_048;
/** Tokens already verified, by their exact text (a token never changes): skips the HMAC and parsing on every request. */
const VERIFIED_CACHE_SIZE = 10_000;

export interface IssuedToken {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface VerifiedToken extends Caller {
  /** Epoch ms. */
  expiresAt: number;
}

export function createTokenSigner({
  secret,
  ttlS,
  now = Date.now,
}: {
  secret: string;
  ttlS: number;
  now?: () => number;
}) {
  const mac = (data: string) => createHmac('sha256', secret).update(data).digest();
  const bad = (why: string) => new ApiError('TICKDESK_API_BAD_TOKEN', `invalid bearer token: ${why}`);
  const expired = () => new ApiError('TICKDESK_API_TOKEN_EXPIRED', 'the bearer token has expired: log in again');
  const verified = new Map<string, VerifiedToken>();

  return {
    sign(user: string, role: Role): IssuedToken {
      const iat = Math.floor(now() / 1000);
      const exp = iat + ttlS;
      const payload = { iss: ISSUER, sub: user, role, iat, exp, jti: randomBytes(9).toString('base64url') };
      const body = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
      return { token: `${body}.${mac(body).toString('base64url')}`, expiresAt: exp * 1000 };
    },

    /** The caller a token names; throws a 401 ApiError saying why it is refused. */
    verify(token: string): VerifiedToken {
      const known = verified.get(token);
      if (known) {
        if (known.expiresAt > now()) return known;
        verified.delete(token);
        throw expired();
      }
      if (token.length > MAX_TOKEN_LENGTH) throw bad('too long');
      const parts = token.split('.');
      if (parts.length !== 3 || !parts.every((p) => PART.test(p))) throw bad('not a JWT');
      const [header, payload, signature] = parts as [string, string, string];
      if (header !== HEADER) throw bad('unsupported header');
      const expected = mac(`${header}.${payload}`);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad('wrong signature');
      let claims: Record<string, unknown>;
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      } catch {
        throw bad('unreadable claims');
      }
      const { iss, sub, role, exp } = claims ?? {};
      if (iss !== ISSUER || typeof sub !== 'string' || !USER.test(sub) || !isRole(role) || !Number.isSafeInteger(exp)) {
        throw bad('unexpected claims');
      }
      if ((exp as number) * 1000 <= now()) throw expired();
      const caller = { user: sub, role, expiresAt: (exp as number) * 1000 };
      // Map order is insertion order: when full, forget the oldest.
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      verified.set(token, caller);
      return caller;
    },
  };
}

export type TokenSigner = ReturnType<typeof createTokenSigner>;

/** The token of an `Authorization: Bearer <token>` header; undefined when absent, throws when malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (!m) throw new ApiError('TICKDESK_API_BAD_TOKEN', 'the Authorization header must be "Bearer <token>"');
  return m[1];
}
