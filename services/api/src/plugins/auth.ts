import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Caller, Role } from '../deps.js';
import { ApiError } from '../errors.js';
import { createRoleCache } from '../roles.js';
import { bearerToken, type TokenSigner } from '../token.js';

const kCaller = Symbol('tickdesk.caller');
type WithCaller = FastifyRequest & { [kCaller]: Caller | null };

/**
 * `app.authenticate` and `app.requireRole(...)` preHandlers and `request.caller`.
 * A token is accepted while it is unexpired and the role it carries is still the
 * account's role in Redis (re-read at most every `roleCacheMs`), so a role change or
 * a disabled account ends its tokens within about a second.
 */
export default fp<{ tokens: TokenSigner; now?: () => number }>(
  async (app, { tokens, now }) => {
    const currentRole = createRoleCache({
      redis: app.deps.redis,
      ttlMs: app.config.roleCacheMs,
      ...(now ? { now } : {}),
    });
    app.decorate('tokens', tokens);
    app.decorateRequest(kCaller, null);
    app.decorateRequest('caller', {
      getter(this: FastifyRequest): Caller {
        const caller = (this as WithCaller)[kCaller];
        if (!caller) throw new ApiError('TICKDESK_API_UNAUTHENTICATED', 'this route needs a bearer token');
        return caller;
      },
    });

    async function authenticate(request: FastifyRequest): Promise<void> {
      const token = bearerToken(request.headers.authorization);
      if (token === undefined)
        throw new ApiError('TICKDESK_API_UNAUTHENTICATED', 'missing bearer token: POST /v1/auth/token first');
      const { user, role } = tokens.verify(token);
      if ((await currentRole(user)) !== role) {
        throw new ApiError('TICKDESK_API_TOKEN_REVOKED', "the account's role changed or it was disabled: log in again");
      }
      (request as WithCaller)[kCaller] = { user, role };
    }

    app.decorate('authenticate', authenticate);
    app.decorate('requireRole', (...roles: Role[]) => {
      const allowed = new Set(roles);
      return async function requireRole(request: FastifyRequest): Promise<void> {
        if (!(request as WithCaller)[kCaller]) await authenticate(request);
        const { role } = request.caller;
        if (!allowed.has(role)) {
          throw new ApiError(
            'TICKDESK_API_FORBIDDEN',
            `role ${role} may not ${request.method} ${request.routeOptions.url ?? request.url}`,
          );
        }
      };
    });
  },
  { name: 'tickdesk-auth', fastify: '5.x', dependencies: ['tickdesk-deps'] },
);
