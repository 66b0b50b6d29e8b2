import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Silence, SilenceInput, SilenceList, SILENCE_ID_PATTERN, silenceProblem } from '@tickdesk/schemas/rest';
import type { ApiDeps, Caller } from '../deps.js';
import { BEARER } from '../plugins/openapi.js';
import { ApiError, errorResponses, unavailable } from '../errors.js';

const Id = Type.String({ pattern: SILENCE_ID_PATTERN, description: 'the silence id' });
const notFound = () => new ApiError('TICKDESK_API_UNKNOWN_SILENCE', 'no such silence of yours');
const invalid = (field: string, message: string) =>
  new ApiError('TICKDESK_API_INVALID_SILENCE', `silence field "${field}": ${message}`);
/** Who sees every trader's silences: an admin and compliance; a trader sees their own. */
const seesAll = (caller: Caller): boolean => caller.role === 'admin' || caller.role === 'compliance';

/**
 * Silences (docs/alerts-protocol.md "Silences"): a trader holds the alerts addressed to them
 * for an instrument or a rule, from–until, with a reason; the engine holds them and releases
 * (or retires) them at the end. DELETE ends one now.
 */
export default async function silenceRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['silences'], security: BEARER };
  const deps = (): NonNullable<ApiDeps['silences']> => {
    if (!app.deps.silences) throw unavailable('silences are not configured on this API');
    return app.deps.silences;
  };

  app.get(
    '/silences',
    {
      onRequest: [app.authenticate, app.requireRole('trader', 'admin', 'compliance')],
      schema: {
        ...common,
        summary: "The caller's silences (admin, compliance: every trader's), newest first; ended ones for a day",
        response: { 200: SilenceList, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const { store } = deps();
      const silences = seesAll(request.caller)
        ? await store.listAll()
        : await store.list(request.caller.user, Date.now());
      return { silences, max: store.perTraderMax };
    },
  );

  app.post(
    '/silences',
    {
      onRequest: [app.authenticate, app.requireRole('trader')],
      schema: {
        ...common,
        summary:
          'Hold your alerts for an instrument or one of your rules until a time (at most TICKDESK_API_SILENCE_MAX_SECONDS; TICKDESK_API_SILENCES_PER_TRADER_MAX not yet ended)',
        body: SilenceInput,
        response: { 201: Silence, ...errorResponses(401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const { store, maxSeconds } = deps();
      const now = Date.now();
      const input = request.body;
      const problem = silenceProblem(input, now, maxSeconds);
      if (problem) throw invalid(problem.field, problem.message);
      if (input.symbol !== undefined && !app.deps.instruments.some((i) => i.symbol === input.symbol))
        throw invalid('symbol', `no instrument ${input.symbol}`);
      if (input.ruleId !== undefined) {
        const rule = await app.deps.rules.get(input.ruleId);
        if (!rule || rule.owner !== request.caller.user) throw invalid('ruleId', `no rule ${input.ruleId} of yours`);
      }
      const silence = await store.create(request.caller.user, input, now);
      if (!silence)
        throw new ApiError(
          'TICKDESK_API_SILENCE_LIMIT',
          `${request.caller.user} has ${store.perTraderMax} silences not yet ended`,
        );
      request.log.info({ silence: silence.id, owner: silence.owner }, 'silence created');
      return reply.code(201).header('location', `${request.routeOptions.url}/${silence.id}`).send(silence);
    },
  );

  app.delete(
    '/silences/:id',
    {
      onRequest: [app.authenticate, app.requireRole('trader', 'admin')],
      schema: {
        ...common,
        summary: 'End a silence now: its held alerts are released (or retired, as it says) within a second',
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        response: { 204: Type.Null({ description: 'Ended' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { store } = deps();
      const silence = await store.get(request.params.id);
      if (!silence || (request.caller.role !== 'admin' && silence.owner !== request.caller.user)) throw notFound();
      await store.end(silence, Date.now());
      return reply.code(204).send(null);
    },
  );
}
