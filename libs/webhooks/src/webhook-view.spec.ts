import { redactWebhookUrl } from './webhook-view';

describe('redactWebhookUrl', () => {
  it.each([
    ['https://ci.example.com/hook?token=abc', 'https://ci.example.com/hook?token=***'],
    ['https://ci.example.com/hook?token=abc&x=1&x=2', 'https://ci.example.com/hook?token=***&x=***&x=***'],
    ['https://ci.example.com:8443/a/b?key=', 'https://ci.example.com:8443/a/b?key=***'],
    ['https://user:pass@ci.example.com/hook', 'https://***@ci.example.com/hook'],
    ['https://ci.example.com/hook#frag-s3cret', 'https://ci.example.com/hook'],
    ['https://ci.example.com/hook', 'https://ci.example.com/hook'],
    ['https://ci.example.com/hook?', 'https://ci.example.com/hook'],
    ['http://[::1]:3000/h?sig=a%20b', 'http://[::1]:3000/h?sig=***'],
    ['not a url', '***'],
  ])('%s → %s', (raw, redacted) => {
    expect(redactWebhookUrl(raw)).toBe(redacted);
  });
});
