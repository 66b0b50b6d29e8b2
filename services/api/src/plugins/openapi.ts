import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

/** The security requirement of routes that need a bearer token, for their `schema.security`. */
export const BEARER = [{ bearer: [] as string[] }];

/**
 * OpenAPI 3 generated from the route schemas, served at /openapi.json (and by the UI
 * at /docs/json). Schemas that carry an `$id` (Tick, Bar, Instrument… from
 * @tickdesk/schemas) become named components.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'tickdesk REST API',
        version,
        description:
          'Market data, alert rules, alerts, audit and presence of the tickdesk trading desk. ' +
          'Log in with POST /v1/auth/token (your XMPP JID and password) and send the token as `Authorization: Bearer <token>`. ' +
          'Prices and sizes are decimal strings; times are XEP-0082 UTC timestamps. Errors are `{ code, message }` with stable codes.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
