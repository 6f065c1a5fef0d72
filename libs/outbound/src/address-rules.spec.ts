import { classifyAddress, embeddedIpv4, normaliseAddress } from './address-rules';
import { OutboundPolicy } from './outbound-policy';

/** IPv6 spellings of blocked IPv4 addresses are judged as the IPv4 address they reach. */
describe('address rules for IPv6 forms that carry an IPv4 address', () => {
  it.each([
    // 169.254.169.254 (metadata) as a 32-bit hex tail is a9fe:a9fe.
    ['64:ff9b::a9fe:a9fe', 'never'], // NAT64 well-known prefix
    ['64:ff9b::169.254.169.254', 'never'],
    ['2002:a9fe:a9fe::1', 'never'], // 6to4
    ['2002:a9fe:a9fe:1234:5678::9', 'never'],
    ['::a9fe:a9fe', 'never'], // IPv4-compatible
    ['::169.254.169.254', 'never'],
    ['::ffff:a9fe:a9fe', 'never'], // IPv4-mapped, hex spelling
    ['::ffff:0:a9fe:a9fe', 'never'], // IPv4-translated (SIIT)
    ['64:ff9b:1::a9fe:a9fe', 'never'], // local-use NAT64, /96 layout
    ['64:ff9b:1:a9fe:a9:fe00::', 'never'], // local-use NAT64, /48 layout (bits 64-71 skipped)
    ['2001:0:4136:e378:8000:63bf:5601:5601', 'never'], // Teredo: client 169.254.169.254 stored inverted
    ['2001:0:a9fe:a9fe::1', 'never'], // Teredo: server 169.254.169.254
    ['64:ff9b::7f00:1', 'private'], // 127.0.0.1
    ['64:ff9b::a00:5', 'private'], // 10.0.0.5
    ['2002:c0a8:101::1', 'private'], // 192.168.1.1
    ['::7f00:1', 'private'],
    ['64:ff9b:1::808:808', 'private'], // the operator's own translator, even to a public address
    ['64:ff9b::808:808', 'public'], // 8.8.8.8 through a public NAT64
    ['2002:808:808::1', 'public'],
    ['2001:0:808:808:8000:63bf:f7f7:f7f7', 'public'], // Teredo between public addresses
    ['::1', 'private'], // loopback, not 0.0.0.1
    ['::', 'never'],
    ['2001:4860:4860::8888', 'public'],
    ['2001:db8::1', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it('names the embedded IPv4 address, exactly when the form has only one meaning', () => {
    expect(embeddedIpv4('64:ff9b::a9fe:a9fe')).toEqual({ addresses: ['169.254.169.254'], exact: true });
    expect(embeddedIpv4('2002:a9fe:a9fe::1')).toEqual({ addresses: ['169.254.169.254'], exact: true });
    expect(embeddedIpv4('::a9fe:a9fe')).toEqual({ addresses: ['169.254.169.254'], exact: true });
    expect(embeddedIpv4('2001:0:4136:e378:8000:63bf:3fff:fdd2')).toEqual({
      addresses: ['65.54.227.120', '192.0.2.45'],
      exact: false,
    });
    expect(embeddedIpv4('2001:4860:4860::8888')).toEqual({ addresses: [], exact: false });
    expect(embeddedIpv4('not an address')).toEqual({ addresses: [], exact: false });
  });

  it('normalises the unambiguous forms to IPv4 (what HEDDLE_OUTBOUND_ALLOW entries are compared with)', () => {
    expect(normaliseAddress('::ffff:10.0.0.1')).toEqual({ address: '10.0.0.1', family: 'ipv4' });
    expect(normaliseAddress('64:ff9b::a00:1')).toEqual({ address: '10.0.0.1', family: 'ipv4' });
    expect(normaliseAddress('2002:a00:1::1')).toEqual({ address: '10.0.0.1', family: 'ipv4' });
    expect(normaliseAddress('::1')).toEqual({ address: '::1', family: 'ipv6' });
    expect(normaliseAddress('2001:db8::1')).toEqual({ address: '2001:db8::1', family: 'ipv6' });
    expect(normaliseAddress('10.0.0.1')).toEqual({ address: '10.0.0.1', family: 'ipv4' });
  });

  it('refuses such URLs when saved, even with link-local opened by the allow-list', async () => {
    const allow = { blockList: { check: () => true }, hostnames: [] };
    const policy = new OutboundPolicy(allow, () => Promise.reject(new Error('no DNS for literals')));
    for (const url of ['http://[64:ff9b::a9fe:a9fe]/', 'http://[2002:a9fe:a9fe::1]/', 'http://[::a9fe:a9fe]/']) {
      await expect(policy.checkUrl(url, 'url')).rejects.toThrow(/never allowed/);
    }
  });

  it('lets an allow-listed private IPv4 address through its NAT64 and 6to4 spellings', async () => {
    const { BlockList } = await import('node:net');
    const blockList = new BlockList();
    blockList.addSubnet('10.0.0.0', 8, 'ipv4');
    const policy = new OutboundPolicy({ blockList, hostnames: [] }, () => Promise.reject(new Error('no DNS')));
    await expect(policy.checkUrl('http://[64:ff9b::a00:5]/')).resolves.toBeDefined();
    await expect(policy.checkUrl('http://[2002:a00:5::1]/')).resolves.toBeDefined();
    await expect(policy.checkUrl('http://[64:ff9b::c0a8:105]/')).rejects.toThrow(/HEDDLE_OUTBOUND_ALLOW/);
  });
});
