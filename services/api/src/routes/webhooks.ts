import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { urlProblem } from '@tickdesk/alerts';
import {
  DESK_WIDE,
  WEBHOOK_URL_MAX_LENGTH,
  WebhookCreated,
  WebhookDeadLetterList,
  WebhookList,
} from '@tickdesk/schemas/rest';
import type { ApiDeps, Caller } from '../deps.js';
import { BEARER } from '../plugins/openapi.js';
import { ApiError, errorResponses, unavailable } from '../errors.js';

const Id = Type.String({ pattern: '^wh[0-9a-f]{16}$', description: 'the endpoint id' });
const LetterId = Type.String({ maxLength: 100, description: '<alert id>|<endpoint id>' });
const notFound = () => new ApiError('TICKDESK_API_UNKNOWN_WEBHOOK', 'no such webhook endpoint or dead letter of yours');

/** A trader's endpoints are their own; an admin's are desk-wide (every trader's alerts). */
const ownerOf = (caller: Caller): string => (caller.role === 'admin' ? DESK_WIDE : caller.user);
/** What a caller may see: an admin everything, a trader their own. */
const scopeOf = (caller: Caller): string | undefined => (caller.role === 'admin' ? undefined : caller.user);

/**
 * Webhook endpoints (docs/alerts-protocol.md "Webhooks"): a trader's receive their own
 * alerts, an admin's every alert of the desk. The signing secret is answered once, at
 * creation; the engine keeps it, the API never shows it again.
 */
export default async function webhookRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['webhooks'], security: BEARER };
  const onRequest = [app.authenticate, app.requireRole('trader', 'admin')];
  const hooks = (): NonNullable<ApiDeps['webhooks']> => {
    if (!app.deps.webhooks) throw unavailable('webhooks are not configured on this API');
    return app.deps.webhooks;
  };

  app.get(
    '/webhooks',
    {
      onRequest,
      schema: {
        ...common,
        summary: "The caller's webhook endpoints (an admin: every endpoint), without secrets",
        response: { 200: WebhookList, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const { store } = hooks();
      return { webhooks: await store.list(scopeOf(request.caller)), max: store.perOwnerMax };
    },
  );

  app.post(
    '/webhooks',
    {
      onRequest,
      schema: {
        ...common,
        summary:
          "Register an endpoint for the caller's alerts (an admin: desk-wide); its signing secret is returned once",
        body: Type.Object(
          { url: Type.String({ minLength: 1, maxLength: 4 * WEBHOOK_URL_MAX_LENGTH, description: 'http(s) URL' }) },
          { additionalProperties: false },
        ),
        response: { 201: WebhookCreated, ...errorResponses(401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const { store, policy } = hooks();
      const problem = urlProblem(request.body.url, policy);
      if (problem) throw new ApiError('TICKDESK_API_INVALID_WEBHOOK', problem);
      const owner = ownerOf(request.caller);
      const ep = await store.create(owner, request.body.url, Date.now());
      if (!ep)
        throw new ApiError('TICKDESK_API_WEBHOOK_LIMIT', `${owner} has ${store.perOwnerMax} webhook endpoints already`);
      return reply.code(201).send(ep);
    },
  );

  app.delete(
    '/webhooks/:id',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Remove an endpoint: its pending deliveries are dropped',
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { store } = hooks();
      const ep = await store.get(request.params.id);
      const scope = scopeOf(request.caller);
      if (!ep || (scope !== undefined && ep.owner !== scope)) throw notFound();
      await store.remove(ep.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhooks/dead-letters',
    {
      onRequest,
      schema: {
        ...common,
        summary: "Deliveries given up on, newest first: the caller's endpoints' (an admin: all)",
        response: { 200: WebhookDeadLetterList, ...errorResponses(401, 403) },
      },
    },
    async (request) => ({ deadLetters: await hooks().store.deadLetters(scopeOf(request.caller)) }),
  );

  app.post(
    '/webhooks/dead-letters/:id/replay',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Deliver a dead letter again now, with a fresh set of attempts',
        params: Type.Object({ id: LetterId }, { additionalProperties: false }),
        response: { 202: Type.Null({ description: 'Queued' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { store } = hooks();
      const scope = scopeOf(request.caller);
      const letter = (await store.deadLetters(scope, 10_000)).find((l) => l.id === request.params.id);
      if (!letter || !(await store.replay(letter.id, Date.now()))) throw notFound();
      return reply.code(202).send(null);
    },
  );
}
