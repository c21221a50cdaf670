// The gateway SIGKILLed under traffic (requests in flight from two users, event streams open,
// messages arriving) and a new one started on the same port, as systemd does after a crash. Real
// PostgreSQL, the real supervisor and slice (process runtime; WhatsApp's servers are stood in for
// by the simulator). Users stay signed in (the same cookies work) and an event stream resumed with
// Last-Event-ID gets every message.created it missed, none twice: compared with what the slice stored.
import crypto from 'node:crypto';
import t from 'tap';
import { EventStream, sleep } from '../../gateway/test/system.ts';
import { assertChromium, startSystem, waitUntil, SystemUser } from './system.ts';

t.setTimeout(300_000);
assertChromium();

const SLICE = 77; // this file's slice (port 5153): clear of the other test files' slices
const sys = await startSystem(t, 'e2e-faults-gateway-kill', { firstSlice: SLICE });
const base = sys.origin.replace('localhost', '127.0.0.1');

class User extends SystemUser {
  constructor() {
    super(sys.origin);
  }
}

const stream = (u: User, lastEventId?: string) => new EventStream(`${base}/api/events`, { cookie: u.cookie!, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) });
/** The bodies of the message.created events a stream got, in order (one entry per event). */
const createdBodies = (s: EventStream, tag: string) =>
  s.events.filter((e) => e.event === 'message.created').flatMap((e) => (e.data.match(new RegExp(`${tag}-\\d+`, 'g')) ?? []).slice(0, 1));

t.test('SIGKILL of the gateway: sessions survive, a stream resumed by Last-Event-ID misses and repeats nothing', async (t) => {
  const a = new User();
  const b = new User();
  t.equal((await a.register('a@gateway-kill.example')).statusCode, 200);
  t.equal((await b.register('b@gateway-kill.example')).statusCode, 200);
  t.equal((await a.request('POST', '/api/connect')).statusCode, 202);
  await waitUntil('the slice RUNNING', 120_000, async () => (await a.request('GET', '/api/me')).json().slice?.state === 'RUNNING');
  await waitUntil('the phone scanning', 60_000, async () => (await sys.sim(SLICE, '/sim/scan')).ok);
  await waitUntil('WhatsApp READY and the initial sync done', 180_000, async () => (await a.request('GET', '/api/me')).json().wa?.state === 'READY' && (await sys.sliceSynced(SLICE)));
  const chat = await waitUntil('a chat', 60_000, async () => {
    const r = await a.request('GET', '/api/chats');
    return r.statusCode === 200 && r.json().items.length > 0 ? (r.json().items[0] as { id: number; waId: string }) : null;
  });
  await sleep(3_000);

  const tag = `kill${crypto.randomBytes(4).toString('hex')}`;
  let n = 0;
  const send = async () => {
    const body = `${tag}-${n++}`;
    const r = await sys.sim(SLICE, '/sim/incoming', { chatWaId: chat.waId, body });
    t.equal(r.status, 200, `the phone delivers ${body}`);
  };
  const sa = stream(a);
  const sb = stream(b);
  await sa.waitFor((e) => e.event === 'slice.state', 10_000);
  for (let i = 0; i < 3; i++) await send();
  await waitUntil('the first messages on the stream', 60_000, () => createdBodies(sa, tag).length === 3);

  // Traffic in flight when the gateway dies: reads of both users and messages still arriving.
  const inFlight = Array.from({ length: 20 }, (_, i) => (i % 2 ? a.request('GET', `/api/chats/${chat.id}/messages?limit=50`) : b.request('GET', '/api/me')).then((r) => r.statusCode, () => 'reset'));
  const arriving = (async () => {
    for (let i = 0; i < 6; i++) {
      await send();
      await sleep(150);
    }
  })();
  await sleep(200);
  const pid = sys.gateway.proc.pid;
  const killedAt = Date.now();
  sys.gateway.proc.kill('SIGKILL');
  await waitUntil('the gateway gone', 10_000, () => sys.gateway.exited);
  const statuses = await Promise.all(inFlight);
  t.same(statuses.filter((s) => s !== 200 && s !== 'reset'), [], `requests in flight either answered 200 or were cut, never a 5xx: ${statuses.join(',')}`);
  await arriving;
  for (let i = 0; i < 3; i++) await send(); // while no gateway runs
  const seenBefore = createdBodies(sa, tag);
  const lastId = sa.events.at(-1)!.id!;
  t.ok(sa.ended || (await waitUntil('the stream ended', 10_000, () => sa.ended)), 'the old stream ended with its gateway');
  sa.close();
  sb.close();

  const restarting = Date.now();
  await sys.restartGateway();
  const up = Date.now();
  t.not(sys.gateway.proc.pid, pid, 'a new gateway process');
  const meA = await a.request('GET', '/api/me');
  t.equal(meA.statusCode, 200, 'the same cookie works on the new gateway');
  t.equal(meA.json().user?.email, 'a@gateway-kill.example');
  t.equal((await b.request('GET', '/api/me')).json().user?.email, 'b@gateway-kill.example', "B's session survives too");

  const resumed = stream(a, lastId);
  const total = n;
  await waitUntil('every message on the resumed stream', 60_000, () => seenBefore.length + createdBodies(resumed, tag).length >= total);
  t.comment(`gateway down ${up - killedAt} ms (kill to /healthz; its start alone ${up - restarting} ms); the resumed stream caught up ${Date.now() - up} ms after`);
  await sleep(1_000); // a repeat would come right behind
  const seen = [...seenBefore, ...createdBodies(resumed, tag)];
  t.notOk(resumed.events.some((e) => e.event === 'reset'), 'the resume id was honoured (no reset)');
  t.same([...seen].sort(), Array.from({ length: total }, (_, i) => `${tag}-${i}`).sort(), 'each message exactly once across the kill');
  const stored = (await a.request('GET', `/api/chats/${chat.id}/messages?limit=200`)).body.match(new RegExp(`${tag}-\\d+`, 'g')) ?? [];
  t.same([...new Set(stored)].sort(), [...seen].sort(), 'the stream saw exactly what the slice stored');
  resumed.close();
});
