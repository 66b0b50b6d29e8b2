import { randomUUID } from 'node:crypto';
import { InfraError } from './errors.js';
import { connectMqtt, type MqttLogin } from './mosquitto-connect.js';
import { DYNSEC_TOPIC } from './mosquitto-dynsec.js';

/** One command of the dynamic-security plugin's API (mosquitto 2.0, "$CONTROL/dynamic-security/v1"). */
export type DynsecCommand = { command: string } & Record<string, unknown>;
/** Its answer: `error` set when the plugin refused it ("Client already exists", "Client not found"…). */
export interface DynsecResponse {
  command: string;
  error?: string;
  data?: unknown;
}

/**
 * Send commands to the broker's dynamic-security plugin on one connection as its admin and
 * answer the plugin's response to each, in order. The plugin runs a request's commands one
 * after the other and answers them in one message on `<topic>/response`, each with the
 * `correlationData` it was sent with.
 */
export async function dynsecRequest(
  login: MqttLogin,
  commands: readonly DynsecCommand[],
  timeoutMs = 10_000,
): Promise<DynsecResponse[]> {
  const failed = (why: string, cause?: unknown) =>
    new InfraError('TICKDESK_INFRA_MQTT_CONTROL_FAILED', `the MQTT broker's device control ${why}`, { cause });
  let client;
  try {
    client = await connectMqtt({ ...login, timeoutMs });
  } catch (err) {
    // The login is never part of the message: only the broker's refusal.
    throw failed(`refused the admin login at ${login.url}: ${(err as Error).message}`, err);
  }
  const id = randomUUID();
  const sent = commands.map((c, i) => ({ ...c, correlationData: `${id}:${i}` }));
  try {
    const answered = new Promise<DynsecResponse[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(failed(`did not answer within ${timeoutMs} ms`)), timeoutMs);
      client.on('message', (_topic, payload) => {
        let body: { responses?: Array<DynsecResponse & { correlationData?: string }> };
        try {
          body = JSON.parse(payload.toString('utf8')) as typeof body;
        } catch {
          return;
        }
        const byId = new Map((body.responses ?? []).map((r) => [r.correlationData, r]));
        if (!byId.has(`${id}:0`)) return;
        clearTimeout(timer);
        resolve(
          sent.map((c) => {
            const r = byId.get(c.correlationData);
            return r
              ? { command: r.command, ...(r.error ? { error: r.error } : {}), ...(r.data ? { data: r.data } : {}) }
              : { command: c.command, error: 'no answer' };
          }),
        );
      });
    });
    await client.subscribeAsync(`${DYNSEC_TOPIC}/response`, { qos: 1 });
    await client.publishAsync(DYNSEC_TOPIC, JSON.stringify({ commands: sent }), { qos: 1 });
    return await answered;
  } finally {
    await client.endAsync().catch(() => undefined);
  }
}
