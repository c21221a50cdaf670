// GET /internal/events?after=ID&limit=N: the slice's event log in id order, for the gateway's
// webhook worker, which turns it into deliveries and keeps its own cursor. The log is the outbox:
// each row was written in the transaction of the change it reports (store/events.ts), so a reader
// that resumes after the last id it handled misses nothing. Outside /api and 'system' only, like
// /internal/team: the proxy can never relay a browser or a key to it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { latestEventId, listEventsAfter } from '../store/events.ts';

const EventShape = Type.Object({ id: Type.String(), type: Type.String(), data: Type.Unknown() });

const internalEvents: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/internal/events',
    {
      config: { minRole: 'system', scope: 'session' },
      schema: {
        querystring: Type.Object(
          {
            after: Type.String({ pattern: '^[0-9]{1,19}$', description: 'the last event id already handled (0: from the start of the log)' }),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200, description: 'at most this many events' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(EventShape), latestId: Type.String() }) },
      },
    },
    async (req) => {
      const { after, limit } = req.query;
      const [items, latestId] = await Promise.all([listEventsAfter(app.store.db, after, limit), latestEventId(app.store.db)]);
      // latestId tells a reader that starts fresh where "now" is, and one whose cursor is past the
      // log's end (the slice's schema was recreated) that it must start again.
      return { items, latestId };
    },
  );
};

export default internalEvents;
