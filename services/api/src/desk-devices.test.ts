import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { DeskTopology } from '@tickdesk/schemas';
import { deskDevices } from './desk-devices.js';

const log = pino({ level: 'silent' });
const topology = { paths: { ca: '/d/ca.crt' } } as DeskTopology;
const broker = { host: '127.0.0.1', port: 18883 };
const files = (password?: string, ca?: string) => ({ ca: () => ca, mqttPassword: () => password });

describe("the API's device registry", () => {
  it('none without a broker in the topology, or without the mqtt-admin password or the CA', () => {
    expect(deskDevices(topology, files('pw', 'PEM'), 10, log)).toBeUndefined();
    expect(deskDevices({ ...topology, mqtt: broker }, files(undefined, 'PEM'), 10, log)).toBeUndefined();
    expect(deskDevices({ ...topology, mqtt: broker }, files('pw', undefined), 10, log)).toBeUndefined();
  });

  it("the broker's address and the limit given", () => {
    const devices = deskDevices({ ...topology, mqtt: broker }, files('pw', 'PEM'), 10, log);
    expect(devices?.broker).toEqual(broker);
    expect(devices?.registry.max).toBe(10);
  });
});
