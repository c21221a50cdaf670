// The live event relay behind GET /api/events. One hub per user holds ONE upstream SSE stream to
// the user's slice (whatever number of browser tabs are open) and a ring buffer of its recent
// events, so a browser that reconnects with Last-Event-ID gets what it missed from memory; a
// browser further behind gets its own upstream stream resumed from its id (the slice replays from
// its events table). The gateway's own events (slice.state, billing) go to every stream of the
// user; they are not replayable, but their ids carry the slice position so resume still works.
//
// Event ids the browser sees: slice events keep the slice's id X; gateway events are `X~gN`, or
// `^E~gN` before any slice event (E: the hub's epoch, meaning "from the start of this hub").
import crypto from 'node:crypto';
import type { ServerResponse } from 'node:http';
import fp from 'fastify-plugin';
import { formatSse, SseUpstream, type SseEvent, type UpstreamTarget } from '../lib/sse.ts';

const BUFFER_SIZE = 1_000;
const HUB_IDLE_MS = 60_000;
export const HEARTBEAT_MS = 15_000;
/** A client that lets this much pile up unread is dropped (it reconnects and resumes). */
const MAX_PENDING_BYTES = 1 << 20;

interface Subscriber {
  res: ServerResponse;
  lastSliceId: string | null;
  /** Set when this browser is on its own upstream stream (it resumed from further back). */
  own: SseUpstream | null;
}

class UserHub {
  readonly subscribers = new Set<Subscriber>();
  readonly buffer: SseEvent[] = [];
  readonly epoch = crypto.randomBytes(4).toString('hex');
  lastId: string | null = null;
  upstream: SseUpstream | null = null;
  idleTimer: NodeJS.Timeout | null = null;
  seq = 0;

  constructor(readonly userId: string, private readonly target: () => Promise<UpstreamTarget | null>) {}

  start(): void {
    if (this.upstream) return;
    this.upstream = new SseUpstream({
      target: this.target,
      lastEventId: this.lastId,
      onEvent: (event) => this.fromSlice(event),
    });
  }

  /** Slice events read but not yet written to the streams (see fromSlice). */
  private pending: string[] = [];
  private pendingLastId: string | null = null;

  private fromSlice(event: SseEvent): void {
    if (event.id) this.lastId = event.id;
    this.buffer.push(event);
    if (this.buffer.length > BUFFER_SIZE) this.buffer.shift();
    // The events of one upstream read (a message and its chat, say) go out together, as one write
    // per stream, once the parser has handed over the whole read.
    this.pending.push(formatSse(event));
    if (event.id) this.pendingLastId = event.id;
    if (this.pending.length === 1) queueMicrotask(() => this.flush());
  }

  /** Writes the pending slice events to every stream that follows the hub's upstream. */
  flush(): void {
    if (this.pending.length === 0) return;
    // Encoded once, not once per stream: with thousands of streams this loop is the relay's cost.
    const wire = encodeForSockets(this.pending.join(''));
    const lastId = this.pendingLastId;
    this.pending = [];
    this.pendingLastId = null;
    for (const sub of this.subscribers) {
      if (sub.own) continue;
      if (lastId) sub.lastSliceId = lastId;
      writeToSocket(sub, wire);
    }
  }

  /** A gateway-own event to every stream of the user. */
  publish(event: string, data: unknown): void {
    this.flush(); // after the slice events already read, never before them
    this.seq += 1;
    const json = JSON.stringify(data);
    for (const sub of this.subscribers) {
      const position = sub.lastSliceId ?? `^${this.epoch}`;
      write(sub, formatSse({ id: `${position}~g${this.seq}`, event, data: json }));
    }
  }

  /** The events after a browser's position, or null when the buffer cannot say. */
  replayAfter(position: string): SseEvent[] | null {
    if (position === `^${this.epoch}`) return this.buffer.length < BUFFER_SIZE ? [...this.buffer] : null;
    if (position === this.lastId) return [];
    const at = this.buffer.findIndex((e) => e.id === position);
    return at < 0 ? null : this.buffer.slice(at + 1);
  }

  close(): void {
    this.upstream?.close();
    this.upstream = null;
    for (const sub of this.subscribers) {
      sub.own?.close();
      sub.res.end();
    }
    this.subscribers.clear();
    if (this.idleTimer) clearTimeout(this.idleTimer);
  }
}

function write(sub: Subscriber, chunk: string | Buffer): void {
  if (sub.res.writableEnded || sub.res.destroyed) return;
  if (sub.res.writableLength > MAX_PENDING_BYTES) {
    sub.res.destroy();
    return;
  }
  sub.res.write(chunk);
}

interface SocketWire {
  /** the event as one HTTP/1.1 chunk: size, CRLF, bytes, CRLF */
  chunked: Buffer;
  /** the bytes alone, for a response that is not chunked (HTTP/1.0) */
  plain: Buffer;
}

function encodeForSockets(text: string): SocketWire {
  const plain = Buffer.from(text);
  return { plain, chunked: Buffer.concat([Buffer.from(`${plain.length.toString(16)}\r\n`), plain, Buffer.from('\r\n')]) };
}

/**
 * The fan-out's write: one event, already framed, straight onto each stream's socket. Through
 * ServerResponse.write every stream would cork its socket, queue a tick to uncork it and write
 * four buffers (size, CRLF, bytes, CRLF); here it is one buffer in one write, shared by all.
 * The socket keeps the order with anything ServerResponse wrote before (the head, heartbeats), and
 * res.end() still ends the chunked body.
 */
function writeToSocket(sub: Subscriber, wire: SocketWire): void {
  const { res } = sub;
  const socket = res.socket;
  if (!socket || res.writableEnded || res.destroyed || socket.destroyed) return;
  if (socket.writableLength + res.writableLength > MAX_PENDING_BYTES) {
    res.destroy();
    return;
  }
  socket.write(res.chunkedEncoding ? wire.chunked : wire.plain);
}

/** The slice position a browser's Last-Event-ID encodes, or null. */
export function positionOf(lastEventId: string | undefined): string | null {
  if (!lastEventId) return null;
  const position = lastEventId.split('~g')[0] ?? '';
  return position === '' ? null : position;
}

declare module 'fastify' {
  interface FastifyInstance {
    events: {
      /** Serve one browser stream on a hijacked reply. */
      attach(userId: string, res: ServerResponse, lastEventId: string | undefined, initial: { event: string; data: unknown }[]): void;
      publish(userId: string, event: string, data: unknown): void;
      /** The user's slice changed (connected, restarted, token): reconnect its upstream now. */
      sliceChanged(userId: string): void;
      openStreams(): number;
    };
  }
}

export default fp(
  async (app) => {
    const hubs = new Map<string, UserHub>();
    let open = 0;

    const targetFor = (userId: string) => async (): Promise<UpstreamTarget | null> => {
      const slice = await app.slices.forUser(userId);
      if (!slice || !slice.token) return null;
      return { url: `${slice.upstream}/events`, headers: { authorization: slice.authorization, 'x-request-id': crypto.randomUUID() } };
    };

    function hubOf(userId: string): UserHub {
      let hub = hubs.get(userId);
      if (!hub) {
        hub = new UserHub(userId, targetFor(userId));
        hubs.set(userId, hub);
      }
      if (hub.idleTimer) {
        clearTimeout(hub.idleTimer);
        hub.idleTimer = null;
      }
      return hub;
    }

    function detach(hub: UserHub, sub: Subscriber): void {
      if (!hub.subscribers.delete(sub)) return;
      open -= 1;
      sub.own?.close();
      if (hub.subscribers.size === 0 && !hub.idleTimer) {
        // Kept a while so that a reconnecting browser resumes from the buffer.
        hub.idleTimer = setTimeout(() => {
          if (hub.subscribers.size > 0) return;
          hub.close();
          hubs.delete(hub.userId);
        }, HUB_IDLE_MS);
        hub.idleTimer.unref();
      }
    }

    const heartbeat = setInterval(() => {
      for (const hub of hubs.values()) for (const sub of hub.subscribers) write(sub, ': heartbeat\n\n');
    }, HEARTBEAT_MS);
    heartbeat.unref();

    app.addHook('onClose', async () => {
      clearInterval(heartbeat);
      for (const hub of hubs.values()) hub.close();
      hubs.clear();
    });

    app.decorate('events', {
      attach(userId, res, lastEventId, initial) {
        const hub = hubOf(userId);
        hub.start();
        // What is pending is in the buffer already: out to the others first, or this stream would
        // get it twice (from its replay and from the flush).
        hub.flush();
        const position = positionOf(lastEventId);
        const sub: Subscriber = { res, lastSliceId: position ?? hub.lastId, own: null };
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write('retry: 1000\n\n');
        if (position !== null) {
          const missed = hub.replayAfter(position);
          if (missed) {
            for (const e of missed) {
              if (e.id) sub.lastSliceId = e.id;
              write(sub, formatSse(e));
            }
          } else if (!position.startsWith('^')) {
            // Further back than the buffer: this browser reads its own stream from its position.
            sub.own = new SseUpstream({
              target: targetFor(userId),
              lastEventId: position,
              onEvent: (event) => {
                if (event.id) sub.lastSliceId = event.id;
                write(sub, formatSse(event));
              },
            });
          }
        }
        hub.subscribers.add(sub);
        open += 1;
        for (const e of initial) {
          hub.seq += 1;
          write(sub, formatSse({ id: `${sub.lastSliceId ?? `^${hub.epoch}`}~g${hub.seq}`, event: e.event, data: JSON.stringify(e.data) }));
        }
        res.on('close', () => detach(hub, sub));
      },
      publish(userId, event, data) {
        hubs.get(userId)?.publish(event, data);
      },
      sliceChanged(userId) {
        const hub = hubs.get(userId);
        if (!hub) return;
        hub.upstream?.reconnectNow();
        for (const sub of hub.subscribers) sub.own?.reconnectNow();
      },
      openStreams: () => open,
    });
  },
  // app.slices (slice-lifecycle) is read only when a stream connects; it is registered after this
  // plugin because it publishes here, so it is not a declared dependency.
  { name: 'events' },
);
