import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiApp } from '../app.js';
import { seedUsers, testApp } from '../app.test-util.js';
import { errorResponses } from '../errors.js';
import { openApiDrift, type OpenApiDoc } from '../openapi.test-util.js';
import { BEARER } from '../plugins/openapi.js';
import { privateRedis } from '../redis.test-util.js';
import { DESK_ROUTES } from '../routes/desk-routes.js';

/** A route module as another engineer would add it, to check the document follows extra routes too. */
const extra: FastifyPluginAsync = async (v1) => {
  v1.put(
    '/widgets/:id',
    {
      onRequest: v1.requireRole('admin'),
      schema: {
        security: BEARER,
        params: Type.Object({ id: Type.String({ pattern: '^[a-z0-9]{1,20}$' }) }, { additionalProperties: false }),
        body: Type.Object({ size: Type.Integer() }, { additionalProperties: false }),
        response: { 204: Type.Null({ description: 'Updated' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (_request, reply) => reply.code(204).send(),
  );
};

describe('OpenAPI document', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let app: ApiApp;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    server = await privateRedis();
    const redis = server.client();
    await seedUsers(redis);
    app = await testApp(redis, { routes: [...DESK_ROUTES, extra] });
    const res = await app.inject('/openapi.json');
    expect(res.statusCode).toBe(200);
    doc = res.json<OpenApiDoc>();
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });

  it('is valid OpenAPI 3', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('documents every route with exactly the status codes it declares, and nothing else', () => {
    expect(app.registeredRoutes.filter((r) => !r.hidden).length).toBeGreaterThanOrEqual(10);
    expect(openApiDrift(app, doc)).toEqual([]);
  });

  it('the drift check notices a missing route, a missing status and a stray operation', () => {
    const broken = structuredClone(doc);
    delete broken.paths['/v1/prices'];
    delete broken.paths['/v1/instruments/{symbol}/last']!.get!.responses!['404'];
    broken.paths['/v1/ghost'] = { get: { responses: {} } };
    expect(openApiDrift(app, broken)).toEqual([
      'GET /v1/prices is not in the document',
      'GET /v1/instruments/:symbol/last: declares 200,400,401,403,404,500,503, documented 200,400,401,403,500,503',
      'GET /v1/ghost is documented but not routed',
    ]);
  });

  it('declares the bearer token exactly on the operations that refuse a request without one', async () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const url = path.replace(/\{[^}]+\}/g, (p) => (p === '{symbol}' ? 'BTCUSDT' : 'abc'));
        const res = await app.inject({
          method: method.toUpperCase() as 'GET',
          url,
          ...(method === 'get' ? {} : { payload: {} }),
        });
        expect(res.statusCode === 401, `${method} ${path} answered ${res.statusCode}`).toBe(op.security !== undefined);
      }
    }
  });

  it('names the shared schemas as components', () => {
    const names = Object.keys(
      (doc as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas,
    );
    expect(names).toEqual(expect.arrayContaining(['Instrument', 'Tick', 'Bar', 'LastPrice']));
  });

  it('is served by the UI at /docs', async () => {
    const ui = await app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
    expect((await app.inject('/docs/json')).json()).toEqual(doc);
  });
});
