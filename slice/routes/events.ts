// GET /events: the slice's changes as Server-Sent Events. With Last-Event-ID (header, or
// ?lastEventId= for clients that cannot set headers) every later event is replayed from the
// events table, then live ones follow: the subscription starts before the replay and live events
// are held back until it ends, so nothing is missed and nothing is sent twice (ids only go up).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServerResponse } from 'node:http';
import { AppError } from '../../lib/errors.ts';
import { listEventsAfter, type SliceEvent } from '../store/events.ts';

const REPLAY_PAGE = 1000;
/** A client this far behind is dropped; it reconnects with its Last-Event-ID and replays. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const EVENT_ID = /^\d{1,19}$/;

export interface EventsRouteOptions {
  heartbeatMs: number;
}

function frame(e: SliceEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

const events: FastifyPluginAsyncTypebox<EventsRouteOptions> = async (app, opts) => {
  const open = new Set<ServerResponse>();
  // Streams never end by themselves: close them so the server can shut down.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get(
    '/events',
    {
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
      const header = req.headers['last-event-id'];
      const lastEventId = (Array.isArray(header) ? header[0] : header)?.trim() || req.query.lastEventId;
      if (lastEventId !== undefined && !EVENT_ID.test(lastEventId)) {
        throw new AppError('INVALID_ARGUMENT', 'Last-Event-ID must be an event id (digits)');
      }
      const res = reply.raw;
      reply.hijack();
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n: connected\n\n');
      open.add(res);

      let lastSent = lastEventId === undefined ? -1n : BigInt(lastEventId);
      let held: SliceEvent[] | null = lastEventId === undefined ? null : [];
      const send = (e: SliceEvent) => {
        const id = BigInt(e.id);
        if (id <= lastSent) return; // already replayed
        lastSent = id;
        res.write(frame(e));
        if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
      };
      const unsubscribe = app.store.bus.subscribe((e) => {
        if (res.destroyed) return;
        if (held) held.push(e);
        else send(e);
      });
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), opts.heartbeatMs);
      const cleanup = () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(res);
      };
      res.on('close', cleanup);

      if (held) {
        try {
          for (;;) {
            const page = await listEventsAfter(app.store.db, lastSent.toString(), REPLAY_PAGE);
            for (const e of page) send(e);
            if (page.length < REPLAY_PAGE || res.destroyed) break;
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
