import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { createEscalationStore } from '@tickdesk/alerts';
import { checkEscalation, EscalationDefault } from '@tickdesk/schemas';
import { BEARER } from '../plugins/openapi.js';
import { ApiError, errorResponses } from '../errors.js';
import { validatorCompiler } from '../validation.js';

const invalid = (field: string, message: string) =>
  new ApiError('TICKDESK_API_INVALID_ESCALATION', `escalation field "${field}": ${message}`);
const none = () => new ApiError('TICKDESK_API_NOT_FOUND', 'you have no default escalation chain');

/**
 * A trader's default escalation chain (docs/alerts-protocol.md "Escalation chains"): the
 * chain every alert of theirs walks unless its rule names its own. A `backup` step is
 * accepted here (rules with and without a backup use it) and skipped, with an audit record,
 * for an alert whose rule has none.
 */
export default async function escalationRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['rules'], security: BEARER };
  const onRequest = [app.authenticate, app.requireRole('trader')];
  const store = createEscalationStore({ redis: app.deps.redis });
  // The chain is checked by checkEscalation, as a rule's is: a bad one is a 422 naming the field.
  app.setValidatorCompiler((req) =>
    req.httpPart === 'body'
      ? (value: unknown) => ({ value })
      : validatorCompiler(req as Parameters<typeof validatorCompiler>[0]),
  );

  app.get(
    '/me/escalation',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Your default escalation chain (404 when you have none)',
        response: { 200: EscalationDefault, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const chain = await store.defaultOf(request.caller.user);
      if (!chain) throw none();
      return { escalation: chain };
    },
  );

  app.put(
    '/me/escalation',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Set your default escalation chain: at most 6 steps, waits 0..86400 s after the firing',
        body: EscalationDefault,
        response: { 200: EscalationDefault, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const body = request.body as unknown;
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw invalid('body', 'must be an object {"escalation": [...]}');
      const extra = Object.keys(body).find((k) => k !== 'escalation');
      if (extra) throw invalid(extra, 'unknown field');
      const checked = checkEscalation((body as { escalation?: unknown }).escalation);
      if (!checked.ok) throw invalid(checked.field, checked.message);
      await store.setDefault(request.caller.user, checked.value);
      return { escalation: checked.value };
    },
  );

  app.delete(
    '/me/escalation',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Remove your default escalation chain: your alerts walk none unless their rule names one',
        response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (!(await store.clearDefault(request.caller.user))) throw none();
      return reply.code(204).send(null);
    },
  );
}
