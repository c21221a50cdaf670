// The server side of bench/sse-fanout.bench.ts, in its own process so its memory and CPU are its
// own: one SSE route served either by @fastify/sse (`plugin`) or the way the gateway's relay does
// it (`relay`: a hijacked reply, the event framed once and written to each socket). The parent
// sends {publish: n} over IPC; the event's data carries the time it was published.
import Fastify from 'fastify';
import { fastifySSE } from '@fastify/sse';
import type { ServerResponse } from 'node:http';
import { encodeForSockets, formatSse, writeFramed } from '../../gateway/support/sse.ts';

const mode = process.argv[2];
if (mode !== 'plugin' && mode !== 'relay') throw new Error('usage: sse-fanout-server.ts plugin|relay');
const MAX_PENDING_BYTES = 1 << 20;

const app = Fastify({ logger: false });
let publish: (id: number, json: string) => void;

if (mode === 'plugin') {
  await app.register(fastifySSE, { heartbeatInterval: 25_000 });
  const streams = new Set<{ send(m: { id: string; event: string; data: string }): Promise<void> }>();
  // The data is JSON already: the serializer passes it on (the relay never re-encodes either).
  app.get('/events', { sse: { kind: 'only', serializer: (d: unknown) => d as string } }, async (_req, reply) => {
    reply.sse.keepAlive();
    const sse = reply.sse;
    streams.add(sse);
    sse.onClose(() => streams.delete(sse));
    await sse.send({ data: '"connected"', event: 'hello' } as never);
  });
  publish = (id, json) => {
    for (const s of streams) void s.send({ id: String(id), event: 'message.created', data: json }).catch(() => {});
  };
} else {
  const streams = new Set<ServerResponse>();
  app.get('/events', async (_req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
    res.write(formatSse({ event: 'hello', data: '"connected"' }));
    streams.add(res);
    res.on('close', () => streams.delete(res));
  });
  publish = (id, json) => {
    const wire = encodeForSockets(formatSse({ id: String(id), event: 'message.created', data: json }));
    for (const res of streams) writeFramed(res, wire, MAX_PENDING_BYTES);
  };
}

const address = await app.listen({ port: 0, host: '127.0.0.1' });
let next = 1;
process.on('message', (m: { publish?: number }) => {
  for (let i = 0; i < (m.publish ?? 0); i++) {
    const id = next++;
    publish(id, JSON.stringify({ id, body: `bench message ${id} with a body of a typical length for a chat`, publishedAt: performance.timeOrigin + performance.now() }));
  }
});
process.send!({ address });
