import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import { BlockList } from 'node:net';
import { createOutboundFetch } from './outbound-http';
import { OutboundPolicy } from './outbound-policy';

describe('createOutboundFetch', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  function fetchWith(allowLoopback: boolean) {
    const blockList = new BlockList();
    if (allowLoopback) blockList.addSubnet('127.0.0.0', 8, 'ipv4');
    return createOutboundFetch(new OutboundPolicy({ blockList, hostnames: [] }));
  }

  it('refuses at connect time a name that resolves to loopback (the check runs on the address connected to)', async () => {
    await expect(fetchWith(false)(`http://localhost:${port}/`)).rejects.toMatchObject({
      cause: expect.objectContaining({ message: expect.stringMatching(/private or loopback/) }),
    });
  });

  it('refuses an IP literal the policy no longer allows, at send time', async () => {
    await expect(fetchWith(false)(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({
      cause: expect.objectContaining({ message: expect.stringMatching(/private or loopback/) }),
    });
  });

  it('connects when the operator allows the range', async () => {
    const res = await fetchWith(true)(`http://localhost:${port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
  });

  it('does not follow redirects', async () => {
    const res = await fetchWith(true)(`http://localhost:${port}/redirect`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toContain('169.254.169.254');
  });
});
