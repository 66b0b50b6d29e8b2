import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { describeSchema, loadEnvConfig, readEnv, resolveConfig, type EnvSpec } from './env-config.js';

class TestConfigError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const Schema = Type.Object(
  {
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 8080 }),
    mode: Type.Union([Type.Literal('single'), Type.Literal('sentinel')], { default: 'single' }),
    domain: Type.String({ pattern: '^[a-z.]+$', default: 'desk.localhost' }),
    verbose: Type.Boolean({ default: false }),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 64 })),
    limits: Type.Object({ day: Type.Integer({ minimum: 1, maximum: 100, default: 10 }) }, { default: {} }),
  },
  { additionalProperties: false },
);
const spec: EnvSpec<typeof Schema> = {
  schema: Schema,
  vars: {
    port: 'T_PORT',
    mode: 'T_MODE',
    domain: 'T_DOMAIN',
    verbose: 'T_VERBOSE',
    password: 'T_PASSWORD',
    'limits.day': 'T_DAY',
  },
  secrets: ['T_PASSWORD'],
  error: (message) => new TestConfigError('T_BAD_CONFIG', message),
};
const load = (env: Record<string, string>) => loadEnvConfig(spec, env, 'test config');
const failure = (env: Record<string, string>): TestConfigError => {
  try {
    load(env);
  } catch (err) {
    return err as TestConfigError;
  }
  throw new Error('no error');
};

describe('environment loader', () => {
  it('gives every default when nothing is set; empty and blank count as unset', () => {
    expect(load({})).toEqual({
      port: 8080,
      mode: 'single',
      domain: 'desk.localhost',
      verbose: false,
      limits: { day: 10 },
    });
    expect(load({ T_PORT: '', T_MODE: '  ' })).toMatchObject({ port: 8080, mode: 'single' });
  });

  it('converts integers, choices, patterns, booleans and nested fields', () => {
    expect(
      load({
        T_PORT: ' 9090 ',
        T_MODE: 'sentinel',
        T_DOMAIN: 'a.b',
        T_VERBOSE: 'true',
        T_PASSWORD: 'p'.repeat(8),
        T_DAY: '3',
      }),
    ).toEqual({
      port: 9090,
      mode: 'sentinel',
      domain: 'a.b',
      verbose: true,
      password: 'p'.repeat(8),
      limits: { day: 3 },
    });
  });

  it('reads only the variables it is told, and only those set', () => {
    expect(readEnv(spec, { T_PORT: '1', HOME: '/root', port: '5' })).toEqual({ port: 1 });
  });

  it.each([
    ['T_PORT', '70000', 'T_PORT="70000" is invalid: expected an integer from 1 to 65535'],
    ['T_PORT', '1e3', 'T_PORT="1e3" is invalid: expected an integer from 1 to 65535'],
    ['T_PORT', '0x10', 'T_PORT="0x10" is invalid: expected an integer from 1 to 65535'],
    ['T_PORT', '80.0', 'T_PORT="80.0" is invalid: expected an integer from 1 to 65535'],
    ['T_PORT', '99999999999999999999', 'T_PORT="99999999999999999999" is invalid: expected an integer from 1 to 65535'],
    ['T_MODE', 'cluster', 'T_MODE="cluster" is invalid: expected one of single, sentinel'],
    ['T_DOMAIN', 'Desk Local', 'T_DOMAIN="Desk Local" is invalid: expected text matching ^[a-z.]+$'],
    ['T_VERBOSE', 'yes', 'T_VERBOSE="yes" is invalid: expected true or false'],
    ['T_DAY', '101', 'T_DAY="101" is invalid: expected an integer from 1 to 100'],
  ])('%s=%s throws the service error naming the variable, the value and what was expected', (name, value, message) => {
    const err = failure({ [name]: value });
    expect(err).toBeInstanceOf(TestConfigError);
    expect(err.code).toBe('T_BAD_CONFIG');
    expect(err.message).toBe(message);
  });

  it('never echoes a secret', () => {
    expect(failure({ T_PASSWORD: 'short' }).message).toBe('T_PASSWORD is invalid: expected 8 to 64 characters');
  });

  it('checks a config given in code, naming the variable of a bad field', () => {
    expect(resolveConfig(spec, { limits: {} }, 'test config').limits).toEqual({ day: 10 });
    expect(() => resolveConfig(spec, { port: 0 }, 'test config')).toThrow(
      'T_PORT is invalid: expected an integer from 1 to 65535 (test config port)',
    );
    expect(() => resolveConfig(spec, { extra: 1 }, 'test config')).toThrow(/^test config/);
  });

  it('does not change what it is given', () => {
    const partial = { port: 5 };
    resolveConfig(spec, partial, 'test config');
    expect(partial).toEqual({ port: 5 });
  });

  it('describes numbers with one bound, and lengths', () => {
    expect(describeSchema(Type.Integer({ minimum: 1 }))).toBe('an integer from 1');
    expect(describeSchema(Type.String({ minLength: 32, maxLength: 1024 }))).toBe('32 to 1024 characters');
    expect(describeSchema(Type.String({ minLength: 32 }))).toBe('at least 32 characters');
  });

  it('refuses a variable mapped to a field the schema lacks (a typo in the service)', () => {
    expect(() => readEnv({ ...spec, vars: { prot: 'T_PORT' } }, { T_PORT: '1' })).toThrow(/no field prot/);
  });
});
