import { describe, expect, it } from 'vitest';
import { isPrivateAddress, urlProblem } from './webhook-url.js';

const policy = { allowPrivate: false, self: ['desk.example:8080', '127.0.0.1:8080', '127.0.0.1:5222'] };
const open = { ...policy, allowPrivate: true };

describe('webhook URL policy', () => {
  it('accepts a public http(s) URL', () => {
    expect(urlProblem('https://hooks.example.com/tickdesk?x=1', policy)).toBeUndefined();
    expect(urlProblem('http://203.0.113.7:9000/in', policy)).toBeUndefined();
  });

  it('refuses other schemes, relative URLs, credentials and over 2,048 characters, naming the field', () => {
    expect(urlProblem('ftp://example.com/x', policy)).toMatch(/"url": must be http or https/);
    expect(urlProblem('javascript:alert(1)', policy)).toMatch(/"url": must be http or https/);
    expect(urlProblem('/relative', policy)).toMatch(/"url": not an absolute URL/);
    expect(urlProblem('https://u:p@example.com/', policy)).toMatch(/"url": credentials/);
    const long = `https://example.com/${'a'.repeat(2049 - 20)}`;
    expect(long).toHaveLength(2049);
    expect(urlProblem(long, policy)).toMatch(/"url": longer than 2048/);
    expect(urlProblem(long.slice(0, 2048), policy)).toBeUndefined();
  });

  it('refuses the desk itself, by its name or at loopback with its ports, even when private addresses are allowed', () => {
    expect(urlProblem('http://desk.example:8080/v1/rules', open)).toMatch(/the desk itself/);
    expect(urlProblem('http://localhost:8080/', open)).toMatch(/the desk itself/);
    expect(urlProblem('http://127.0.0.1:5222/', open)).toMatch(/the desk itself/);
    expect(urlProblem('http://[::1]:8080/', open)).toMatch(/the desk itself/);
    expect(urlProblem('http://127.0.0.1:9999/', open)).toBeUndefined();
  });

  it('refuses loopback, private and link-local addresses unless allowed', () => {
    for (const host of [
      '127.0.0.1:9999',
      'localhost:9999',
      '10.1.2.3',
      '192.168.1.1',
      '172.20.0.1',
      '169.254.169.254',
      '[fd00::1]',
      '[::ffff:10.0.0.1]',
    ])
      expect(urlProblem(`http://${host}/`, policy), host).toMatch(/private address/);
    expect(urlProblem('http://10.1.2.3/', open)).toBeUndefined();
  });

  it('tells private addresses from public ones', () => {
    expect(isPrivateAddress('172.15.255.255')).toBe(false);
    expect(isPrivateAddress('172.16.0.1')).toBe(true);
    expect(isPrivateAddress('::ffff:127.0.0.1')).toBe(true);
    expect(isPrivateAddress('2001:db8::1')).toBe(false);
    expect(isPrivateAddress('not-an-ip')).toBe(false);
  });
});
