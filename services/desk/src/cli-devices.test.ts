import { describe, expect, it } from 'vitest';
import type { DeviceRegistry } from '@tickdesk/infra';
import { runDevicesCommand } from './cli-devices.js';

const refused = (code: string, message: string) => Object.assign(new Error(message), { code });

function fake(): DeviceRegistry & { held: Map<string, string> } {
  const held = new Map<string, string>();
  return {
    held,
    max: 1000,
    add(name, topics) {
      if (name.includes(' '))
        return Promise.reject(refused('TICKDESK_INFRA_DEVICE_NAME', `'${name}' is not a device name`));
      held.set(name, topics);
      return Promise.resolve({ password: 'pw-1' });
    },
    remove(name) {
      if (!held.delete(name)) return Promise.reject(refused('TICKDESK_INFRA_DEVICE_UNKNOWN', `no device ${name}`));
      return Promise.resolve();
    },
    list: () => Promise.resolve([...held].map(([name, topics]) => ({ name, topics }))),
  };
}

function run(registry: DeviceRegistry, c: Parameters<typeof runDevicesCommand>[0]) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
  const code = runDevicesCommand(c, {
    registry,
    broker: { host: '127.0.0.1', port: 8883 },
    caPath: '/d/certs/ca.crt',
    io,
  });
  return code.then((n) => ({ code: n, out, err }));
}

describe('tickdesk devices', () => {
  it('add prints the password once, the broker, the CA and a command that publishes; list and remove', async () => {
    const registry = fake();
    const added = await run(registry, { cmd: 'devices add', name: 'probe-1', topics: 'sites/site1' });
    expect(added.code).toBe(0);
    expect(added.out.join('\n')).toContain('password  pw-1');
    expect(added.out.join('\n')).toContain('mqtts://127.0.0.1:8883');
    expect(added.out.join('\n')).toContain('/d/certs/ca.crt');
    expect(added.out.at(-1)).toBe(
      "e.g. npx mqtt pub -C mqtts -h 127.0.0.1 -p 8883 --ca '/d/certs/ca.crt' -u 'probe-1' -P 'pw-1' -q 1 -t 'sites/site1/temp' -m 8.4",
    );
    expect(registry.held.get('probe-1')).toBe('sites/site1');
    const listed = await run(registry, { cmd: 'devices list' });
    expect(listed.out).toEqual(['probe-1  sites/site1/#', '1 of at most 1000 devices']);
    expect(listed.out.join()).not.toContain('pw-1');
    expect((await run(registry, { cmd: 'devices remove', name: 'probe-1' })).out).toEqual(['removed device probe-1']);
    expect(registry.held.size).toBe(0);
  });

  it("a registry's refusal is one line on stderr and exit 1; anything else is thrown", async () => {
    const registry = fake();
    const bad = await run(registry, { cmd: 'devices add', name: 'a b', topics: 'x' });
    expect(bad).toEqual({ code: 1, out: [], err: ["tickdesk: 'a b' is not a device name"] });
    const gone = await run(registry, { cmd: 'devices remove', name: 'nobody' });
    expect(gone).toEqual({ code: 1, out: [], err: ['tickdesk: no device nobody'] });
    const broken = { ...registry, list: () => Promise.reject(new Error('connection refused')) };
    await expect(run(broken, { cmd: 'devices list' })).rejects.toThrow('connection refused');
  });
});
