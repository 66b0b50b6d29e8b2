import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { rateKeys } from '@tickdesk/store';
import type { ApiConfig } from '../config.js';
import { ApiError } from '../errors.js';
import { bearerToken, type TokenSigner } from '../token.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const limited = (_req: FastifyRequest, ctx: { after: string }) =>
  new ApiError('TICKDESK_API_RATE_LIMITED', `rate limit exceeded: retry in ${ctx.after}`);

/**
 * Writes are limited per user (the token's subject; per IP without a valid token),
 * counted in Redis so that several API processes share one budget. Reads are not
 * limited. The login route sets its own limit with `loginRateLimit`.
 */
export async function registerRateLimits(
  app: FastifyInstance,
  opts: { config: ApiConfig; redis: Redis; tokens: TokenSigner },
): Promise<void> {
  const { config, tokens } = opts;
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: config.writeRateMax,
    timeWindow: config.rateWindowMs,
    redis: opts.redis,
    nameSpace: rateKeys().namespace,
    skipOnError: true,
    allowList: (req) => !WRITES.has(req.method),
    keyGenerator: (req) => {
      if (!WRITES.has(req.method)) return 'read'; // skipped by allowList; no token check needed
      try {
        const token = bearerToken(req.headers.authorization);
        if (token) return `user:${tokens.verify(token).user}`;
      } catch {
        // an invalid token is refused later; count it against the address
      }
      return `ip:${req.ip}`;
    },
    errorResponseBuilder: limited,
  });
}

/** Route `config.rateLimit` for the login: per client address and JID, after the body is validated. */
export function loginRateLimit(config: ApiConfig): RateLimitOptions {
  return {
    max: config.loginRateMax,
    timeWindow: config.rateWindowMs,
    hook: 'preHandler',
    keyGenerator: (req) => `login:${req.ip}|${(req.body as { jid?: string } | undefined)?.jid ?? ''}`,
    errorResponseBuilder: limited,
  };
}
