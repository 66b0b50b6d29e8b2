import type { FastifySchema, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { TSchema } from '@sinclair/typebox';
import { errorResponses } from '../errors.js';
import { dedupeSchemaIds } from '../schema-ids.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
type Schema = FastifySchema & { hide?: boolean; response?: Record<string, unknown> };

/**
 * Completes every route's declared responses with the errors any route can produce
 * (so the OpenAPI document lists them): 500 and 503 everywhere, 429 on writes (rate
 * limited), 400, 413 and 415 where there is a body, 400 where there are params or a
 * query. It also enforces the API's rules at start-up: a /v1 route must declare its
 * responses, and an object body must refuse unknown fields.
 */
export default fp(
  async (app) => {
    app.decorate('registeredRoutes', []);
    app.addHook('onRoute', (route: RouteOptions) => {
      const methods = ([] as string[]).concat(route.method);
      const schema = route.schema as Schema | undefined;
      const hidden = schema?.hide === true;
      if (!hidden) route.schema = complete(route.url, methods, schema ?? {});
      const statuses = Object.keys((route.schema as Schema | undefined)?.response ?? {});
      for (const method of methods) app.registeredRoutes.push({ method, url: route.url, statuses, hidden });
    });
  },
  { name: 'tickdesk-route-defaults', fastify: '5.x' },
);

function complete(url: string, methods: string[], schema: Schema): Schema {
  const where = `${methods.join(',')} ${url}`;
  if (url.startsWith('/v1/') && !schema.response) throw new Error(`route ${where} declares no response schema`);
  const body = schema.body as TSchema | undefined;
  if (body && body.type === 'object' && body.additionalProperties !== false) {
    throw new Error(`route ${where}: the body schema must set additionalProperties: false`);
  }
  const extra: number[] = [500, 503];
  if (methods.some((m) => WRITES.has(m))) extra.push(429);
  if (body) extra.push(400, 413, 415);
  if (schema.querystring || schema.params) extra.push(400);
  const declared = schema.response ?? {};
  const missing = extra.filter((s) => !(String(s) in declared));
  const response: Record<string, unknown> = { ...errorResponses(...missing), ...declared };
  const out: Schema = {
    ...schema,
    response: Object.fromEntries(Object.entries(response).map(([k, v]) => [k, dedupeSchemaIds(v)])),
  };
  for (const part of ['body', 'querystring', 'params', 'headers'] as const)
    if (schema[part]) out[part] = dedupeSchemaIds(schema[part]);
  return out;
}
