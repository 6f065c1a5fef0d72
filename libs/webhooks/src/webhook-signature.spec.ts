import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signedHeaders } from './webhook-signature';
import { newWebhookSecret } from './webhook-secrets';

describe('signedHeaders', () => {
  const body = JSON.stringify({ id: 'evt', type: 'TASK_CREATED', data: { name: 'ünïcode ✓' } });

  it('produces headers that standardwebhooks verifies', () => {
    const secret = newWebhookSecret();
    const headers = signedHeaders([secret], 'msg_1', new Date(), body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('is HMAC-SHA256 over id.timestamp.body with the base64-decoded secret', () => {
    const secret = newWebhookSecret();
    const at = new Date('2026-11-23T12:00:00.750Z');
    const headers = signedHeaders([secret], 'msg_2', at, body);
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const mac = createHmac('sha256', key).update(`msg_2.${headers['webhook-timestamp']}.${body}`).digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${mac}`);
  });

  it('signs with every secret given, space-separated, and each one verifies', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const headers = signedHeaders([current, previous], 'msg_3', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(previous).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, { ...headers })).toThrow(/No matching signature/);
    expect(() => new Webhook(current).verify(`${body} `, { ...headers })).toThrow();
  });

  it('makes secrets of 24 random bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(newWebhookSecret()).not.toBe(secret);
  });
});
