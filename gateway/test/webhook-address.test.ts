// The webhook address guard: what may never be posted to (cloud metadata, private networks,
// loopback, link-local, CGNAT), what WEBHOOK_ALLOW_HOSTS opens, and the check at connection time
// on the address actually connected to: a name that resolves to a private address (DNS rebinding)
// is refused although the URL looked fine. Real sockets on loopback; the DNS answers are stood in.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { request } from 'undici';
import { isAppError } from '../../lib/errors.ts';
import { checkWebhookUrl, guardedAgent, parseAllowList, refusedAddressKind } from '../support/webhook-address.ts';
import { loadGatewayConfig } from '../config.ts';

const none = parseAllowList(undefined);

t.test('refused and allowed addresses', async (t) => {
  for (const a of ['169.254.169.254', '10.0.0.1', '127.0.0.1', '::1', 'fe80::1', '100.64.0.1', '192.168.1.1', '172.16.5.4', '0.0.0.0', '::', 'fc00::1', 'fd12::1', '224.0.0.1', '255.255.255.255', '::ffff:127.0.0.1', '::ffff:a00:1']) {
    t.not(refusedAddressKind(a, none), null, `${a} is refused`);
  }
  t.equal(refusedAddressKind('169.254.169.254', none), 'link-local');
  t.equal(refusedAddressKind('100.64.0.1', none), 'private (CGNAT)');
  for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '100.128.0.1', '172.32.0.1']) t.equal(refusedAddressKind(a, none), null, `${a} is public`);
  const allow = parseAllowList('127.0.0.1, hooks.internal, 10.1.0.0/16');
  t.equal(refusedAddressKind('127.0.0.1', allow), null, 'the allow-list admits 127.0.0.1');
  t.equal(refusedAddressKind('10.1.2.3', allow), null, 'and a CIDR');
  t.not(refusedAddressKind('10.2.0.1', allow), null, 'but not beyond it');
  t.not(refusedAddressKind('127.0.0.2', allow), null);
  t.throws(() => parseAllowList('10.0.0.0/33'), { message: /WEBHOOK_ALLOW_HOSTS: "10\.0\.0\.0\/33"/ }, 'a bad CIDR names itself');
  t.throws(() => parseAllowList('bad host!'), { message: /WEBHOOK_ALLOW_HOSTS: "bad host!"/ });
  t.throws(() => loadGatewayConfig({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1,10.0.0.0/40' }), { code: 'CONFIG_INVALID', message: /10\.0\.0\.0\/40/ }, 'the gateway does not start with a bad entry');
});

t.test('creation: the URL is resolved and every address judged; the error names the address', async (t) => {
  const refusedWith = async (url: string, lookup?: (h: string) => Promise<{ address: string }[]>, allow = none) => {
    try {
      await checkWebhookUrl(url, allow, lookup);
      return null;
    } catch (err) {
      if (!isAppError(err)) throw err;
      return { code: err.code, message: err.message };
    }
  };
  const r1 = await refusedWith('http://169.254.169.254/latest/meta-data');
  t.equal(r1?.code, 'WEBHOOK_URL_REFUSED');
  t.match(r1?.message, /169\.254\.169\.254, a link-local address/);
  t.match((await refusedWith('https://10.0.0.1/hook'))?.message, /10\.0\.0\.1, a private address/);
  t.match((await refusedWith('http://[::1]:8080/'))?.message, /::1, a loopback address/);
  t.match((await refusedWith('http://looks-public.example/', async () => [{ address: '93.184.216.34' }, { address: '10.9.9.9' }]))?.message, /10\.9\.9\.9/, 'one private answer among public ones is enough');
  t.match((await refusedWith('ftp://example.com/'))?.message, /http: or https:/);
  t.match((await refusedWith('https://user:pw@example.com/'))?.message, /credentials/);
  t.equal(await refusedWith('https://hooks.example/x', async () => [{ address: '93.184.216.34' }]), null, 'a public address is allowed');
  t.equal(await refusedWith('http://127.0.0.1:9/x', undefined, parseAllowList('127.0.0.1')), null, 'the allow-list admits 127.0.0.1');
});

t.test('connection time: the address connected to is checked (DNS rebinding), IP literals too', async (t) => {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits += 1;
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  // The name resolved to a public address when the endpoint was made; now it answers loopback.
  const rebinding = (async () => [{ address: '127.0.0.1', family: 4 }]) as never;

  const guarded = guardedAgent(none, { resolve: rebinding });
  t.teardown(() => guarded.close());
  await t.rejects(request(`http://rebind.example:${port}/`, { dispatcher: guarded }), { message: /127\.0\.0\.1, a loopback address: refused/ }, 'a name resolving to loopback is refused at connect time');
  await t.rejects(request(`http://127.0.0.1:${port}/`, { dispatcher: guarded }), { message: /connected to 127\.0\.0\.1, a loopback address: refused/ }, 'an IP literal is checked on the socket');
  const toPrivate = guardedAgent(none, { resolve: (async () => [{ address: '10.0.0.1', family: 4 }]) as never });
  t.teardown(() => toPrivate.close());
  await t.rejects(request('http://intranet.example/', { dispatcher: toPrivate }), { message: /10\.0\.0\.1, a private address: refused/ }, 'a name resolving to a private address: no connection is even tried');
  t.equal(hits, 0, 'no request reached the server');

  const allowed = guardedAgent(parseAllowList('127.0.0.1'), { resolve: rebinding });
  t.teardown(() => allowed.close());
  const r = await request(`http://rebind.example:${port}/`, { dispatcher: allowed });
  t.equal(r.statusCode, 200, 'allow-listed, the same connection goes through');
  await r.body.text();
  t.equal(hits, 1);
});
