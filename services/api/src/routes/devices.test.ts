import { describe, expect, it } from 'vitest';
import { checkDeviceName, checkTopicPrefix, InfraError } from '@tickdesk/infra';
import type { DeskDevices } from '../deps.js';
import { expectError } from '../app.test-util.js';
import deviceRoutes from './devices.js';
import { AS, bearer, useRouteApp } from './route.test-util.js';

/** An error of the registry, with infra's stable code. */
const refused = (
  code: 'TICKDESK_INFRA_DEVICE_EXISTS' | 'TICKDESK_INFRA_DEVICE_LIMIT' | 'TICKDESK_INFRA_DEVICE_UNKNOWN',
  message: string,
) => new InfraError(code, message);

/** The registry in memory, refusing as infra's does: names and prefixes checked by infra's own checks, a limit, unknown names. */
function fakeRegistry(max = 2): DeskDevices['registry'] & { held: Map<string, string> } {
  const held = new Map<string, string>();
  return {
    held,
    max,
    async add(name, topicPrefix) {
      await Promise.resolve();
      checkDeviceName(name);
      checkTopicPrefix(topicPrefix);
      if (held.has(name)) throw refused('TICKDESK_INFRA_DEVICE_EXISTS', `device ${name} exists`);
      if (held.size >= max) throw refused('TICKDESK_INFRA_DEVICE_LIMIT', `${max} devices held`);
      held.set(name, topicPrefix);
      return { password: `pw-${name}` };
    },
    async remove(name) {
      await Promise.resolve();
      checkDeviceName(name);
      if (!held.delete(name)) throw refused('TICKDESK_INFRA_DEVICE_UNKNOWN', `no device ${name}`);
    },
    list: () => Promise.resolve([...held].map(([name, topics]) => ({ name, topics }))),
  };
}

const registry = fakeRegistry();
const broker = { host: '127.0.0.1', port: 8883 };
const r = useRouteApp([deviceRoutes], { devices: { registry, broker } });
const bare = useRouteApp([deviceRoutes]);
const as = (user: string) => ({ headers: bearer(user) });
const add = (name: string, topics: string, user: string = AS.admin) =>
  r.app.inject({ method: 'POST', url: '/v1/devices', payload: { name, topics }, ...as(user) });

describe('admin: devices of the MQTT broker', () => {
  it('adds a device (201, its password once and where the broker is), lists it, removes it (204)', async () => {
    registry.held.clear();
    const res = await add('site1-probe', 'sites/site1');
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({ name: 'site1-probe', topics: 'sites/site1', password: 'pw-site1-probe', broker });
    const list = await r.app.inject({ url: '/v1/devices', ...as(AS.admin) });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ devices: [{ name: 'site1-probe', topics: 'sites/site1' }], max: 2 });
    expect(list.body).not.toContain('pw-');
    const del = await r.app.inject({ method: 'DELETE', url: '/v1/devices/site1-probe', ...as(AS.admin) });
    expect(del.statusCode).toBe(204);
    expect(registry.held.size).toBe(0);
  });

  it.each([
    ['a name with a space', 'bad name', 'sites/x', 'name'],
    ['a name with a wildcard', 'probe#', 'sites/x', 'name'],
    ['a prefix with a wildcard', 'probe', 'sites/+', 'topics'],
    ['a prefix starting with $', 'probe', '$SYS/x', 'topics'],
    ['a prefix starting with /', 'probe', '/sites', 'topics'],
    ['an empty prefix', 'probe', '', 'topics'],
    ['a prefix with an empty level', 'probe', 'sites//x', 'topics'],
    ["a name of the desk's own", 'mqtt-feed', 'sites/x', 'name'],
  ])('refuses %s with 422 naming the field, adding nothing', async (_what, name, topics, field) => {
    registry.held.clear();
    expectError(await add(name, topics), 422, 'TICKDESK_API_INVALID_DEVICE', new RegExp(`field "${field}"`));
    expect(registry.held.size).toBe(0);
  });

  it('refuses a name taken with 409, past the limit with 409 DEVICE_LIMIT, an unknown device with 404', async () => {
    registry.held.clear();
    expect((await add('a', 'sites/a')).statusCode).toBe(201);
    expectError(await add('a', 'sites/b'), 409, 'TICKDESK_API_DEVICE_EXISTS');
    expect(registry.held.get('a')).toBe('sites/a');
    expect((await add('b', 'sites/b')).statusCode).toBe(201);
    expectError(await add('c', 'sites/c'), 409, 'TICKDESK_API_DEVICE_LIMIT', /2 devices/);
    const gone = await r.app.inject({ method: 'DELETE', url: '/v1/devices/nobody', ...as(AS.admin) });
    expectError(gone, 404, 'TICKDESK_API_UNKNOWN_DEVICE');
    const bad = await r.app.inject({ method: 'DELETE', url: '/v1/devices/bad%20name', ...as(AS.admin) });
    expectError(bad, 422, 'TICKDESK_API_INVALID_DEVICE', /params field "name"/);
  });

  it('refuses a body that is not { name, topics } with 400', async () => {
    const res = await r.app.inject({
      method: 'POST',
      url: '/v1/devices',
      payload: { name: 'x', topics: 'a', acl: '#' },
      ...as(AS.admin),
    });
    expectError(res, 400, 'TICKDESK_API_BAD_REQUEST');
    expectError(await add('x'.repeat(129), 'a'), 400, 'TICKDESK_API_BAD_REQUEST', /name/);
  });

  it.each(['trader', 'analyst', 'compliance'] as const)('refuses %s with 403, and no token with 401', async (role) => {
    registry.held.clear();
    const calls = [
      { method: 'GET', url: '/v1/devices' },
      { method: 'POST', url: '/v1/devices', payload: { name: 'p', topics: 'sites/p' } },
      { method: 'DELETE', url: '/v1/devices/p' },
    ] as const;
    for (const c of calls) {
      expectError(await r.app.inject({ ...c, ...as(AS[role]) }), 403, 'TICKDESK_API_FORBIDDEN');
      expect((await r.app.inject({ ...c })).statusCode, `${c.method} ${c.url} without a token`).toBe(401);
    }
    expect(registry.held.size).toBe(0);
  });

  it("answers 503 when the broker's device control does not answer, 500 on anything unforeseen, naming no internals", async () => {
    const list = registry.list.bind(registry);
    try {
      registry.list = () =>
        Promise.reject(
          new InfraError(
            'TICKDESK_INFRA_MQTT_CONTROL_FAILED',
            "the MQTT broker's device control refused mqtts://127.0.0.1:1",
          ),
        );
      const down = expectError(
        await r.app.inject({ url: '/v1/devices', ...as(AS.admin) }),
        503,
        'TICKDESK_API_UNAVAILABLE',
      );
      expect(down.message).not.toContain('127.0.0.1');
      registry.list = () => Promise.reject(new TypeError('boom at /srv/x.js:1'));
      expectError(await r.app.inject({ url: '/v1/devices', ...as(AS.admin) }), 500, 'TICKDESK_API_INTERNAL');
    } finally {
      registry.list = list;
    }
  });

  it('answers 503 when the desk runs no broker', async () => {
    expectError(await bare.app.inject({ url: '/v1/devices', ...as(AS.admin) }), 503, 'TICKDESK_API_UNAVAILABLE');
  });
});
