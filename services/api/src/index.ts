export { buildApp, API_VERSION, type ApiApp, type BuildAppOptions } from './app.js';
export { ApiConfig, loadApiConfig, resolveApiConfig, API_ENV_VARS } from './config.js';
export type { ApiDeps, Caller, Role } from './deps.js';
export {
  API_ERRORS,
  ApiError,
  ErrorBody,
  errorResponses,
  badRequest,
  notFound,
  conflict,
  forbidden,
  unavailable,
  invalidRule,
  type ApiErrorCode,
} from './errors.js';
export { ROLES, USERS_KEY, isRole, readRole } from './roles.js';
export { createTokenSigner, type TokenSigner } from './token.js';
export { createApiMetrics, type ApiMetrics } from './metrics.js';
export { BEARER } from './plugins/openapi.js';
export { createXmppPasswordVerifier } from './xmpp-verify.js';
export type { VerifyPassword } from './routes/auth.js';
export type { HealthProbe, ComponentHealth, ComponentState } from './health-probes.js';
export type { RegisteredRoute } from './fastify-types.js';
export { DESK_ROUTES } from './routes/desk-routes.js';
export { startApiServer, type ApiServerOptions } from './server.js';
