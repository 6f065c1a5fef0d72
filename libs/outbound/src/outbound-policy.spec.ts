import { BlockList } from 'node:net';
import { classifyAddress } from './address-rules';
import { OutboundPolicy, OutboundRefusedError } from './outbound-policy';

function policy(allow: { cidrs?: [string, number][]; hostnames?: string[] } = {}, dns: Record<string, string[]> = {}) {
  const blockList = new BlockList();
  for (const [net, bits] of allow.cidrs ?? []) blockList.addSubnet(net, bits, net.includes(':') ? 'ipv6' : 'ipv4');
  return new OutboundPolicy({ blockList, hostnames: allow.hostnames ?? [] }, async (h) => {
    if (!dns[h]) throw new Error('ENOTFOUND');
    return dns[h]!;
  });
}

describe('classifyAddress', () => {
  it.each([
    ['169.254.169.254', 'never'],
    ['169.254.1.1', 'never'],
    ['::ffff:169.254.169.254', 'never'],
    ['fe80::1', 'never'],
    ['fd00:ec2::254', 'never'],
    ['100.100.100.200', 'never'],
    ['0.0.0.0', 'never'],
    ['224.0.0.1', 'never'],
    ['127.0.0.1', 'private'],
    ['::1', 'private'],
    ['::ffff:127.0.0.1', 'private'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12::1', 'private'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['2001:4860:4860::8888', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe('OutboundPolicy.checkUrl', () => {
  it('accepts a public https URL and reports what it resolved to', async () => {
    const checked = await policy({}, { 'opencode.example.com': ['93.184.216.34'] }).checkUrl(
      'https://opencode.example.com:4096/',
    );
    expect(checked.addresses).toEqual(['93.184.216.34']);
  });

  it.each([
    ['ftp://example.com', /only http and https/],
    ['file:///etc/passwd', /only http and https/],
    ['not a url', /is not a URL/],
    ['http://user:pw@93.184.216.34', /credentials do not belong/],
    ['http://169.254.169.254/latest/meta-data', /never allowed/],
    ['http://[fe80::1]:4096', /never allowed/],
    ['http://metadata.google.internal', /metadata service/],
    ['http://127.0.0.1:4096', /HEDDLE_OUTBOUND_ALLOW/],
    ['http://[::1]:4096', /HEDDLE_OUTBOUND_ALLOW/],
    ['http://10.0.0.5', /HEDDLE_OUTBOUND_ALLOW/],
    ['http://nowhere.invalid', /does not resolve/],
  ])('refuses %s', async (url, reason) => {
    await expect(policy().checkUrl(url, 'baseUrl')).rejects.toThrow(reason);
    await expect(policy().checkUrl(url, 'baseUrl')).rejects.toBeInstanceOf(OutboundRefusedError);
  });

  it('checks the addresses a hostname resolves to, all of them', async () => {
    const p = policy({}, { sneaky: ['93.184.216.34', '127.0.0.1'], meta: ['169.254.169.254'] });
    await expect(p.checkUrl('http://sneaky/')).rejects.toThrow(/127\.0\.0\.1/);
    await expect(p.checkUrl('http://meta/')).rejects.toThrow(/never allowed/);
  });

  it('lets HEDDLE_OUTBOUND_ALLOW open private ranges and hostnames, but never metadata', async () => {
    const p = policy(
      {
        cidrs: [
          ['10.0.0.0', 8],
          ['127.0.0.1', 32],
          ['169.254.0.0', 16],
        ],
        hostnames: ['*.corp.internal', 'box'],
      },
      { 'oc.corp.internal': ['192.168.1.5'], box: ['192.168.1.6'], other: ['192.168.1.7'] },
    );
    await expect(p.checkUrl('http://10.9.9.9:4096')).resolves.toBeDefined();
    await expect(p.checkUrl('http://127.0.0.1:4096')).resolves.toBeDefined();
    await expect(p.checkUrl('http://oc.corp.internal')).resolves.toBeDefined();
    await expect(p.checkUrl('http://box')).resolves.toBeDefined();
    await expect(p.checkUrl('http://other')).rejects.toThrow(/HEDDLE_OUTBOUND_ALLOW/);
    await expect(p.checkUrl('http://169.254.169.254')).rejects.toThrow(/never allowed/);
  });

  it('names the field in the 400 details', async () => {
    await expect(policy().checkUrl('ftp://x', 'baseUrl')).rejects.toMatchObject({
      statusCode: 400,
      code: 'outbound/refused',
      details: [{ field: 'baseUrl', errors: [expect.stringMatching(/only http/)] }],
    });
  });
});
