// GET /events: the slice's changes as Server-Sent Events (framing and heartbeats by @fastify/sse).
// With Last-Event-ID (header, or ?lastEventId= for clients that cannot set headers) every later
// event is replayed from the events table, then live ones follow: the subscription starts before
// the replay and live events are held back until it ends, so nothing is missed and nothing is sent
// twice (ids only go up).
import { fastifySSE, type SSEReplyInterface } from '@fastify/sse';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { listEventsAfter, type SliceEvent } from '../store/events.ts';
import { seesAssignee, type ChatScope } from '../store/visibility.ts';

const REPLAY_PAGE = 1000;
/** A client this far behind is dropped; it reconnects with its Last-Event-ID and replays. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const EVENT_ID = /^\d{1,19}$/;

interface EventsRouteOptions {
  heartbeatMs: number;
}

const events: FastifyPluginAsyncTypebox<EventsRouteOptions> = async (app, opts) => {
  /**
   * What a stream with this scope is told of an event, judged by the chat's assignment now (so a
   * replay agrees with the API): nothing of a chat it may not see, except that such a chat's
   * chat.updated becomes {id, hidden: true}, so a client that showed it (it was just reassigned
   * away) drops it. null: leave the event out.
   */
  function visibleForm(e: SliceEvent, scope: ChatScope): unknown {
    if (scope === null) return e.data;
    const data = e.data as { id?: number; chatId?: number };
    if (e.type === 'chat.updated') return seesAssignee(scope, app.store.assigneeOf(data.id!)) ? e.data : { id: data.id, hidden: true };
    if (e.type === 'message.created' || e.type === 'message.updated') return seesAssignee(scope, app.store.assigneeOf(data.chatId!)) ? e.data : null;
    return e.data;
  }

  await app.register(fastifySSE, { heartbeatInterval: opts.heartbeatMs });

  const open = new Set<SSEReplyInterface>();
  // Streams never end by themselves: close them so the server can shut down.
  app.addHook('preClose', async () => {
    for (const sse of open) sse.close();
  });

  app.get(
    '/events',
    {
      // 'manual': no Accept negotiation (the gateway's relay and EventSource are both served).
      sse: { kind: 'manual' },
      config: { minRole: 'agent', scope: 'read' },
      schema: {
        querystring: Type.Object(
          {
            lastEventId: Type.Optional(Type.String({ pattern: EVENT_ID.source })),
            // checked by the auth plugin, for EventSource clients (the self-hosted web app)
            token: Type.Optional(Type.String({ maxLength: 512 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const sse = reply.sse;
      const lastEventId = sse.lastEventId?.trim() || req.query.lastEventId;
      if (lastEventId !== undefined && !EVENT_ID.test(lastEventId)) {
        throw new AppError('INVALID_ARGUMENT', 'Last-Event-ID must be an event id (digits)');
      }
      const res = reply.raw;
      sse.keepAlive();
      reply.header('content-type', 'text/event-stream; charset=utf-8');
      reply.header('cache-control', 'no-cache, no-transform');
      await sse.send({ data: undefined, retry: 2000 });
      // A comment, which the plugin has no message for: it tells a client the stream is open.
      res.write(': connected\n\n');
      open.add(sse);

      let lastSent = lastEventId === undefined ? -1n : BigInt(lastEventId);
      let held: SliceEvent[] | null = lastEventId === undefined ? null : [];
      // destroy() closes on a later tick: until then the plugin still counts the client connected.
      const gone = () => res.destroyed || !sse.isConnected;
      const send = (e: SliceEvent) => {
        const id = BigInt(e.id);
        if (id <= lastSent || gone()) return; // already replayed, or gone
        lastSent = id;
        const shown = visibleForm(e, app.store.team.scopeOf(req.actingMember));
        if (shown === null) return;
        // Not awaited: writes keep their order, and a slow client is judged by what it buffers.
        sse.send({ id: e.id, event: e.type, data: shown }).catch(() => {});
        if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
      };
      // A send while the socket needs a drain holds a 'drain' and an 'error' listener until it
      // drains; MAX_BUFFERED_BYTES bounds how many, so Node's leak warning would be a false alarm.
      res.setMaxListeners(0);
      const unsubscribe = app.store.bus.subscribe((e) => {
        if (held) held.push(e);
        else send(e);
      });
      sse.onClose(() => {
        unsubscribe();
        open.delete(sse);
      });

      if (held) {
        try {
          for (;;) {
            const page = await listEventsAfter(app.store.db, lastSent.toString(), REPLAY_PAGE);
            for (const e of page) send(e);
            if (page.length < REPLAY_PAGE || gone()) break;
          }
          const backlog: SliceEvent[] = held;
          held = null;
          for (const e of backlog) send(e);
        } catch (err) {
          req.log.warn({ err }, 'event replay failed');
          res.destroy();
        }
      }
    },
  );
};

export default events;
