import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DeviceCreated, DeviceList } from '@tickdesk/schemas/rest';
import { BEARER } from '../plugins/openapi.js';
import { ApiError, errorResponses, unavailable } from '../errors.js';
import type { DeskDevices } from '../deps.js';

// Bounds only what reaches the registry, which checks names and prefixes in full (a 422 naming the field).
const Text = (what: string, maxLength: number) => Type.String({ maxLength, description: what });
const Name = Text('the device: its MQTT client name and username (letters, digits, . _ -)', 128);

/** The registry's refusals (infra's stable codes) as the API's; anything else stays a 5xx. */
function deviceApiError(err: unknown, where: 'body' | 'params'): unknown {
  const { code, message } = err as { code?: unknown; message: string };
  switch (code) {
    case 'TICKDESK_INFRA_DEVICE_NAME':
      return new ApiError('TICKDESK_API_INVALID_DEVICE', `${where} field "name": ${message}`);
    case 'TICKDESK_INFRA_DEVICE_TOPICS':
      return new ApiError('TICKDESK_API_INVALID_DEVICE', `${where} field "topics": ${message}`);
    case 'TICKDESK_INFRA_DEVICE_EXISTS':
      return new ApiError('TICKDESK_API_DEVICE_EXISTS', message);
    case 'TICKDESK_INFRA_DEVICE_LIMIT':
      return new ApiError('TICKDESK_API_DEVICE_LIMIT', message);
    case 'TICKDESK_INFRA_DEVICE_UNKNOWN':
      return new ApiError('TICKDESK_API_UNKNOWN_DEVICE', message);
    case 'TICKDESK_INFRA_MQTT_CONTROL_FAILED':
      // Its message names the broker's address: for the log, not the client.
      return unavailable("the MQTT broker's device control did not answer");
    default:
      return err;
  }
}

/**
 * Admin only: devices of the desk's MQTT broker (docs/operations.md "Sensors over MQTT"). A
 * device is a broker client that may publish under one topic prefix and nothing else; its
 * generated password is answered once and kept by the broker only as a hash.
 */
export default async function deviceRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['admin'], security: BEARER };
  const admin = [app.requireRole('admin')];
  const devices = async <T>(use: (d: DeskDevices) => Promise<T>, where: 'body' | 'params' = 'body'): Promise<T> => {
    if (!app.deps.devices) throw unavailable('the desk runs no MQTT broker (TICKDESK_FEED without mqtt)');
    try {
      return await use(app.deps.devices);
    } catch (err) {
      const answer = deviceApiError(err, where);
      if (answer instanceof ApiError && answer.statusCode === 503) app.deps.log.warn({ err }, answer.message);
      throw answer;
    }
  };

  app.get(
    '/devices',
    {
      onRequest: admin,
      schema: {
        ...common,
        summary: "Every device of the desk's MQTT broker and its topic prefix, and the most the broker may hold",
        response: { 200: DeviceList, ...errorResponses(401, 403) },
      },
    },
    async () => devices(async (d) => ({ devices: await d.registry.list(), max: d.registry.max })),
  );

  app.post(
    '/devices',
    {
      onRequest: admin,
      schema: {
        ...common,
        summary: 'Create a device that may publish under a topic prefix; its generated password is returned once',
        body: Type.Object(
          { name: Name, topics: Text('the topic prefix it publishes under, e.g. sites/site1 (no + # $)', 256) },
          { additionalProperties: false },
        ),
        response: { 201: DeviceCreated, ...errorResponses(401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const { name, topics } = request.body;
      const created = await devices(async (d) => ({
        name,
        topics,
        password: (await d.registry.add(name, topics)).password,
        broker: d.broker,
      }));
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/devices/:name',
    {
      onRequest: admin,
      schema: {
        ...common,
        summary: 'Remove a device: its client is deleted and its connection closed by the broker',
        params: Type.Object({ name: Name }, { additionalProperties: false }),
        response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      await devices((d) => d.registry.remove(request.params.name), 'params');
      return reply.code(204).send(null);
    },
  );
}
