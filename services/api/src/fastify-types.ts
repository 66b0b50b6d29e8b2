import type { onRequestAsyncHookHandler } from 'fastify';
import type { ApiDeps, Caller, Role } from './deps.js';
import type { ApiConfig } from './config.js';
import type { Entitlements } from './entitlements.js';
import type { ApiMetrics } from './metrics.js';
import type { TokenSigner } from './token.js';

/** A route as registered, for the OpenAPI drift test and debugging. */
export interface RegisteredRoute {
  method: string;
  url: string;
  statuses: string[];
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: ApiDeps;
    config: ApiConfig;
    metrics: ApiMetrics;
    /** The instruments each caller may read (analysts: by affiliation). */
    entitlements: Entitlements;
    tokens: TokenSigner;
    /**
     * Hook that verifies the bearer token and sets `request.caller`; 401 otherwise. Use it
     * as `onRequest` so that a caller without a token learns nothing about the input.
     */
    authenticate: onRequestAsyncHookHandler;
    /** Hook (onRequest) that authenticates when not done yet, then 403 unless the caller has one of `roles`. */
    requireRole(...roles: Role[]): onRequestAsyncHookHandler;
    registeredRoutes: RegisteredRoute[];
  }
  interface FastifyRequest {
    /** The verified caller; reading it on a route without `authenticate` throws a 401. */
    readonly caller: Caller;
  }
}
