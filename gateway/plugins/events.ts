// The live event relay behind GET /api/events. One hub per member holds ONE upstream SSE stream to
// the account's slice (whatever number of browser tabs are open), sent as that member (the slice
// leaves out what the member may not see) and a ring buffer of its recent
// events, so a browser that reconnects with Last-Event-ID gets what it missed from memory. A
// browser further behind than the buffer gets a `reset` event (its place is lost: refetch what is
// on screen) and then follows the shared stream; only the browser that makes the hub starts its
// upstream from its own position (the slice replays from its events table). When the slice
// refuses the hub's resume id, the hub goes on live and every stream gets a `reset`. The gateway's
// own events (slice.state, billing) go to every stream of the account; they are not replayable, but
// their ids carry the slice position so resume still works.
//
// A stream lives no longer than its login session (support/stream-sessions.ts), and streams are
// capped per member and per gateway (EVENTS_MAX_STREAMS_PER_USER, EVENTS_MAX_STREAMS).
//
// Event ids the browser sees: slice events keep the slice's id X; gateway events are `X~gN`, or
// `^E~gN` before any slice event (E: the hub's epoch, meaning "from the start of this hub").
import crypto from 'node:crypto';
import type { ServerResponse } from 'node:http';
import fp from 'fastify-plugin';
import { AppError } from '../../lib/errors.ts';
import { encodeForSockets, formatSse, SseUpstream, writeFramed, type SocketWire, type SseEvent, type UpstreamTarget } from '../support/sse.ts';
import { StreamSessions } from '../support/stream-sessions.ts';
import { ACTING_MEMBER_HEADER, signActingMember, type ActingMember } from '../../lib/acting-member.ts';

const BUFFER_SIZE = 1_000;
const HUB_IDLE_MS = 60_000;
const HEARTBEAT_MS = 15_000;
/** A client that lets this much pile up unread is dropped (it reconnects and resumes). */
const MAX_PENDING_BYTES = 1 << 20;
/** what a client told TOO_MANY_STREAMS waits before trying again, seconds */
const STREAMS_RETRY_AFTER_S = 10;
const SLICE_ID = /^\d{1,19}$/;
/** The Last-Event-IDs this relay hands out (see the top of this file); '' is none. */
export const LAST_EVENT_ID_PATTERN = '^(\\d{1,19}|\\^[0-9a-f]{8})?(~g\\d{1,19})?$';

interface Subscriber {
  res: ServerResponse;
  lastSliceId: string | null;
  readonly sessionId: string;
  end(): void;
}

class MemberHub {
  readonly subscribers = new Set<Subscriber>();
  readonly buffer: SseEvent[] = [];
  epoch = newEpoch();
  lastId: string | null;
  upstream: SseUpstream | null = null;
  idleTimer: NodeJS.Timeout | null = null;
  seq = 0;

  /** startAt: the slice position the upstream resumes from (the first browser's), or null for now */
  constructor(
    readonly owner: { memberId: string; accountId: string; userId: string },
    private readonly target: () => Promise<UpstreamTarget | null>,
    startAt: string | null,
  ) {
    this.lastId = startAt;
  }

  start(): void {
    if (this.upstream) return;
    this.upstream = new SseUpstream({
      target: this.target,
      lastEventId: this.lastId,
      onEvent: (event) => this.fromSlice(event),
      onResumeRefused: () => this.positionLost(),
    });
  }

  /** The slice no longer has the hub's position: everything before is unusable for resuming. */
  private positionLost(): void {
    this.flush();
    this.buffer.length = 0;
    this.lastId = null;
    this.epoch = newEpoch();
    for (const sub of this.subscribers) sub.lastSliceId = null;
    this.publish('reset', { reason: 'the slice no longer has this position' });
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
      if (lastId) sub.lastSliceId = lastId;
      writeToSocket(sub, wire);
    }
  }

  /** A gateway-own event to every stream of the user. */
  publish(event: string, data: unknown): void {
    this.flush(); // after the slice events already read, never before them
    const json = JSON.stringify(data);
    for (const sub of this.subscribers) this.sendOwn(sub, event, json);
  }

  sendOwn(sub: Subscriber, event: string, json: string): void {
    this.seq += 1;
    write(sub, formatSse({ id: `${sub.lastSliceId ?? `^${this.epoch}`}~g${this.seq}`, event, data: json }));
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
    for (const sub of [...this.subscribers]) sub.end();
    this.subscribers.clear();
    if (this.idleTimer) clearTimeout(this.idleTimer);
  }
}

function newEpoch(): string {
  return crypto.randomBytes(4).toString('hex');
}

function write(sub: Subscriber, chunk: string | Buffer): void {
  if (sub.res.writableEnded || sub.res.destroyed) return;
  if (sub.res.writableLength > MAX_PENDING_BYTES) {
    sub.res.destroy();
    return;
  }
  sub.res.write(chunk);
}

function writeToSocket(sub: Subscriber, wire: SocketWire): void {
  writeFramed(sub.res, wire, MAX_PENDING_BYTES);
}

/** The slice position a browser's Last-Event-ID encodes, or null. */
function positionOf(lastEventId: string | undefined): string | null {
  if (!lastEventId) return null;
  const position = lastEventId.split('~g')[0] ?? '';
  return position === '' ? null : position;
}

/** Who a stream is for: the member (and their user and account), and the login session it lives no longer than. */
export interface StreamOwner {
  member: ActingMember;
  userId: string;
  sessionId: string;
  /** when the session ends (its cookie's expiry), ms since the epoch; Infinity for never */
  sessionExpiresAt: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    events: {
      /** A TOO_MANY_STREAMS error when the member or the gateway holds as many streams as allowed. */
      admit(memberId: string): void;
      /** Serve one browser stream on a hijacked reply (admit() first). */
      attach(owner: StreamOwner, res: ServerResponse, lastEventId: string | undefined, initial: { event: string; data: unknown }[]): void;
      /** A gateway event to every stream of the account. */
      publish(accountId: string, event: string, data: unknown): void;
      /** A gateway event to every stream of one member. */
      publishToMember(memberId: string, event: string, data: unknown): void;
      /** The account's slice changed (connected, restarted, token): reconnect its upstreams now. */
      sliceChanged(accountId: string): void;
      /** End at once every stream of the member (removed from the account, role changed). */
      endMember(memberId: string): void;
      openStreams(): number;
    };
  }
}

export default fp(
  async (app) => {
    const hubs = new Map<string, MemberHub>();
    const byAccount = new Map<string, Set<MemberHub>>();
    const hubsOf = (accountId: string): Iterable<MemberHub> => byAccount.get(accountId) ?? [];
    const sessions = new StreamSessions<Subscriber>();
    let open = 0;
    const { EVENTS_MAX_STREAMS: maxStreams, EVENTS_MAX_STREAMS_PER_USER: maxPerUser } = app.config;

    const targetFor = (member: ActingMember) => async (): Promise<UpstreamTarget | null> => {
      const slice = await app.slices.forAccount(member.accountId);
      if (!slice || !slice.token) return null;
      return {
        url: `${slice.upstream}/events`,
        headers: { authorization: slice.authorization, 'x-request-id': crypto.randomUUID(), [ACTING_MEMBER_HEADER]: signActingMember(member, slice.token) },
      };
    };

    /** The member's hub; a new one's upstream starts from the slice position given. */
    function hubOf(owner: StreamOwner, startAt: string | null): MemberHub {
      const { member } = owner;
      let hub = hubs.get(member.id);
      if (!hub) {
        hub = new MemberHub({ memberId: member.id, accountId: member.accountId, userId: owner.userId }, targetFor(member), startAt !== null && SLICE_ID.test(startAt) ? startAt : null);
        hubs.set(member.id, hub);
        let set = byAccount.get(member.accountId);
        if (!set) byAccount.set(member.accountId, (set = new Set()));
        set.add(hub);
      }
      if (hub.idleTimer) {
        clearTimeout(hub.idleTimer);
        hub.idleTimer = null;
      }
      return hub;
    }

    function dropHub(hub: MemberHub): void {
      hub.close();
      if (hubs.get(hub.owner.memberId) === hub) hubs.delete(hub.owner.memberId);
      const set = byAccount.get(hub.owner.accountId);
      set?.delete(hub);
      if (set?.size === 0) byAccount.delete(hub.owner.accountId);
    }

    function detach(hub: MemberHub, sub: Subscriber): void {
      sessions.remove(sub);
      if (!hub.subscribers.delete(sub)) return;
      open -= 1;
      if (hub.subscribers.size === 0 && !hub.idleTimer) {
        // Kept a while so that a reconnecting browser resumes from the buffer.
        hub.idleTimer = setTimeout(() => {
          if (hub.subscribers.size > 0) return;
          dropHub(hub);
        }, HUB_IDLE_MS);
        hub.idleTimer.unref();
      }
    }

    // Logout and revocation in this process end the streams at once; the check below catches what
    // another process ended, within EVENTS_SESSION_CHECK_MS.
    app.sessionStore.onEnded((ended) => {
      if ('sid' in ended) sessions.endSession(ended.sid);
      else for (const hub of [...hubs.values()]) if (hub.owner.userId === ended.userId) for (const sub of [...hub.subscribers]) sub.end();
    });
    const sessionCheck = setInterval(() => {
      sessions.check((ids) => app.sessionStore.live(ids)).catch((err) => app.log.warn({ err }, 'event streams: session check failed'));
    }, app.config.EVENTS_SESSION_CHECK_MS);
    sessionCheck.unref();

    const heartbeat = setInterval(() => {
      for (const hub of hubs.values()) for (const sub of hub.subscribers) write(sub, ': heartbeat\n\n');
    }, HEARTBEAT_MS);
    heartbeat.unref();

    app.addHook('onClose', async () => {
      clearInterval(heartbeat);
      clearInterval(sessionCheck);
      for (const hub of hubs.values()) hub.close();
      hubs.clear();
      byAccount.clear();
      sessions.close();
    });

    function tooMany(message: string): never {
      throw new AppError('TOO_MANY_STREAMS', message, { details: { retryAfterSeconds: STREAMS_RETRY_AFTER_S } });
    }

    app.decorate('events', {
      admit(memberId) {
        if ((hubs.get(memberId)?.subscribers.size ?? 0) >= maxPerUser) tooMany(`at most ${maxPerUser} open event streams per user: close a tab or try again later`);
        if (open >= maxStreams) tooMany('this server holds as many event streams as it can: try again later');
      },
      attach(owner, res, lastEventId, initial) {
        const position = positionOf(lastEventId);
        const hub = hubOf(owner, position);
        hub.start();
        // What is pending is in the buffer already: out to the others first, or this stream would
        // get it twice (from its replay and from the flush).
        hub.flush();
        const sub: Subscriber = {
          res,
          lastSliceId: position ?? hub.lastId,
          sessionId: owner.sessionId,
          end() {
            detach(hub, sub);
            res.end();
          },
        };
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
          } else {
            // Further back than the buffer: rather than an upstream of its own (one per tab, as
            // many as a client cares to open), it starts over from the hub's position.
            sub.lastSliceId = hub.lastId;
            hub.sendOwn(sub, 'reset', JSON.stringify({ reason: 'this position is no longer available' }));
          }
        }
        hub.subscribers.add(sub);
        sessions.add(sub, owner.sessionExpiresAt);
        open += 1;
        for (const e of initial) hub.sendOwn(sub, e.event, JSON.stringify(e.data));
        res.on('close', () => detach(hub, sub));
      },
      publish(accountId, event, data) {
        for (const hub of hubsOf(accountId)) hub.publish(event, data);
      },
      publishToMember(memberId, event, data) {
        hubs.get(memberId)?.publish(event, data);
      },
      sliceChanged(accountId) {
        for (const hub of hubsOf(accountId)) hub.upstream?.reconnectNow();
      },
      endMember(memberId) {
        const hub = hubs.get(memberId);
        if (hub) dropHub(hub);
      },
      openStreams: () => open,
    });
  },
  // app.slices (slice-lifecycle) is read only when a stream connects; it is registered after this
  // plugin because it publishes here, so it is not a declared dependency.
  { name: 'events', dependencies: ['session'] },
);
