// The proxy's header rules and the fast path's small parts, as pure functions: what a slice
// receives, what a browser gets back, which paths are a slice's, and the session cookie's signer.
import t from 'tap';
import { Signer } from '@fastify/cookie';
import { browserResponseHeaderList, browserResponseHeaders, sliceRequestHeaders } from '../support/proxy-headers.ts';
import { apiSegment } from '../plugins/proxy.ts';
import { RememberingSigner } from '../plugins/session.ts';
import { requestIdOf } from '../support/request-id.ts';

const slice = { authorization: 'Bearer slice-token', host: '127.0.0.1:5101' };

t.test('an Idempotency-Key reaches the slice, and its Idempotent-Replayed comes back (issue 18)', async (t) => {
  const out = sliceRequestHeaders({ 'idempotency-key': 'order-4711', cookie: 'queunir_sid=abc.def' }, slice, 'req-2', 'v1.signed');
  t.equal(out['idempotency-key'], 'order-4711');
  t.equal(browserResponseHeaders({ 'idempotent-replayed': 'true', 'set-cookie': 'x=1' })['idempotent-replayed'], 'true');
});

t.test('a slice receives its token, our request id, its host and the gateway’s acting member; never the browser credentials or a member header it made up', async (t) => {
  const out = sliceRequestHeaders(
    {
      host: 'app.example',
      cookie: 'queunir_sid=abc.def',
      authorization: 'Bearer from-the-browser',
      'x-csrf-token': 'csrf',
      'x-request-id': 'made-up-by-the-browser',
      connection: 'keep-alive, X-Private',
      'x-private': 'listed in Connection',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      te: 'trailers',
      'proxy-authorization': 'Basic x',
      accept: 'application/json',
      'accept-language': 'pt-BR',
      'content-length': 12 as unknown as string,
      'x-forwarded-for': '203.0.113.1',
      'if-none-match': ['"a"', '"b"'],
      'x-queunir-member': 'v1.made-up.by-the-browser',
    },
    slice,
    'req-1',
    'v1.signed.by-the-gateway',
  );
  t.same(out, {
    accept: 'application/json',
    'accept-language': 'pt-BR',
    'content-length': '12',
    'x-forwarded-for': '203.0.113.1',
    'if-none-match': ['"a"', '"b"'],
    host: '127.0.0.1:5101',
    authorization: 'Bearer slice-token',
    'x-request-id': 'req-1',
    'x-queunir-member': 'v1.signed.by-the-gateway',
  });
});

t.test('a browser never gets a cookie or hop-by-hop header from a slice; our security headers are added unless the slice set its own', async (t) => {
  const upstream = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': '2',
    'set-cookie': ['queunir_sid=stolen; Path=/'],
    connection: 'keep-alive, x-hop',
    'x-hop': 'listed',
    'keep-alive': 'timeout=72',
    'transfer-encoding': 'chunked',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
  };
  t.same(browserResponseHeaders(upstream), {
    'content-type': 'application/json; charset=utf-8',
    'content-length': '2',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
  });
  const list = browserResponseHeaderList(upstream, [
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'SAMEORIGIN'],
  ]);
  t.same(list, ['content-type', 'application/json; charset=utf-8', 'content-length', '2', 'cache-control', 'no-store', 'x-frame-options', 'DENY', 'x-content-type-options', 'nosniff']);
});

t.test('which paths are a slice’s: the first segment under /api/', async (t) => {
  t.equal(apiSegment('/api/chats'), 'chats');
  t.equal(apiSegment('/api/chats/7/messages?limit=5'), 'chats');
  t.equal(apiSegment('/api/me?x=1'), 'me');
  t.equal(apiSegment('/api/events'), 'events');
  t.equal(apiSegment('/api/'), '');
  t.equal(apiSegment('/api'), null);
  t.equal(apiSegment('/apix/chats'), null);
  t.equal(apiSegment('http://evil.example/api/chats'), null, 'an absolute-form request target is never fast-pathed');
  t.equal(apiSegment('/'), null);
});

t.test('the session cookie signer: the same answers as @fastify/cookie, forged values never remembered', async (t) => {
  const secret = 'a-session-secret-of-at-least-32-characters';
  const plain = new Signer(secret);
  const signer = new RememberingSigner(secret, 2);
  const signed = signer.sign('sid-1');
  t.equal(signed, plain.sign('sid-1'));
  t.same(signer.unsign(signed), plain.unsign(signed));
  t.same(signer.unsign(signed), { valid: true, renew: false, value: 'sid-1' }, 'remembered, same answer');
  t.same(signer.unsign('sid-1.forged'), { valid: false, renew: false, value: null });
  t.same(signer.unsign(`${signed.slice(0, -1)}x`), plain.unsign(`${signed.slice(0, -1)}x`), 'one character off: invalid');
  t.equal((signer as unknown as { verified: Map<string, unknown> }).verified.size, 1, 'only the valid value is kept');
  signer.unsign(signer.sign('sid-2'));
  signer.unsign(signer.sign('sid-3'));
  t.equal((signer as unknown as { verified: Map<string, unknown> }).verified.size, 2, 'bounded');
  t.throws(() => new RememberingSigner('short'), /32 characters/);
});

t.test("the request id: nginx's from a loopback peer, a new one otherwise", async (t) => {
  const from = (remoteAddress: string, id?: string) => ({ headers: id === undefined ? {} : { 'x-request-id': id }, socket: { remoteAddress } }) as never;
  const nginxId = '3f2a9c0d8e7b6a5f4e3d2c1b0a998877';
  t.equal(requestIdOf(from('127.0.0.1', nginxId), true), nginxId, 'nginx on loopback');
  t.equal(requestIdOf(from('::ffff:127.0.0.1', nginxId), true), nginxId);
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  t.match(requestIdOf(from('203.0.113.9', nginxId), true), uuid, 'a remote peer does not choose its id');
  t.match(requestIdOf(from('127.0.0.1', nginxId), false), uuid, 'TRUST_PROXY off: never believed');
  t.match(requestIdOf(from('127.0.0.1', 'bad id\nwith newline'), true), uuid, 'a malformed id is replaced');
  t.match(requestIdOf(from('127.0.0.1', 'x'.repeat(200)), true), uuid, 'so is an overlong one');
  t.match(requestIdOf(from('127.0.0.1'), true), uuid, 'none sent: a new one');
});
