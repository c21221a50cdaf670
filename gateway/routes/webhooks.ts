// The account's webhooks: endpoints (owners and admins, or a key with `manage`), their delivery
// log, redelivery and a test event. The secret is shown once, on create; the URL is checked
// against the address guard (support/webhook-address.ts) on create and on change.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { writeAudit, type AuditActor } from '../support/audit.ts';
import { newSigningSecret } from '../support/webhook-signing.ts';
import {
  WEBHOOK_EVENT_TYPES,
  deleteEndpoint,
  deliveryOut,
  endpointOut,
  findEndpoint,
  insertDeliveries,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  redeliver,
  updateEndpoint,
} from '../support/webhooks-store.ts';

const Id = Type.String({ pattern: '^\\d{1,19}$' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Url = Type.String({ minLength: 8, maxLength: 2000, description: 'where deliveries are posted: http(s), a public address (or one WEBHOOK_ALLOW_HOSTS admits)' });
const Events = Type.Array(Type.Union(WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t))), { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true, description: 'the event types sent' });
const Description = Type.String({ maxLength: 200 });

const EndpointSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Nullable(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Nullable(Type.String()),
  failingSince: Nullable(Type.String()),
  createdAt: Type.String(),
});
const CreateSchema = Type.Object({ url: Url, events: Events, description: Type.Optional(Description) }, { additionalProperties: false });
const PatchSchema = Type.Object(
  { url: Type.Optional(Url), events: Type.Optional(Events), description: Type.Optional(Nullable(Description)), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const DeliverySchema = Type.Object({
  id: Type.String(),
  eventId: Type.String(),
  type: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  createdAt: Type.String(),
  lastAttemptAt: Nullable(Type.String()),
  nextAttemptAt: Nullable(Type.String()),
  responseStatus: Nullable(Type.Integer()),
  responseMs: Nullable(Type.Integer()),
  responseBody: Nullable(Type.String()),
  error: Nullable(Type.String()),
});
const Params = Type.Object({ id: Id });
const DeliveryParams = Type.Object({ id: Id, deliveryId: Id });
const DeliveriesQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }), before: Type.Optional(Type.String({ pattern: '^\\d{1,19}$', description: 'a delivery id: older ones only' })) },
  { additionalProperties: false },
);

const config = { access: 'admin', scope: 'manage' } as const;

function actorOf(request: FastifyRequest, accountId: string): AuditActor {
  return request.user ? `user:${request.user.id}` : `account:${accountId}`;
}

function notFound(id: string): AppError {
  return new AppError('WEBHOOK_NOT_FOUND', `no webhook ${id} in this account`);
}

export default async function webhookRoutes(app: FastifyInstance) {
  app.post<{ Body: Static<typeof CreateSchema> }>(
    '/api/webhooks',
    { config, schema: { body: CreateSchema, response: { 201: Type.Composite([EndpointSchema, Type.Object({ secret: Type.String() })]) } } },
    async (request, reply) => {
      const me = app.auth.requireMember(request, 'admin');
      const url = await app.webhooks.checkUrl(request.body.url);
      const secret = newSigningSecret();
      const endpoint = await app.db.transaction().execute(async (trx) => {
        const e = await insertEndpoint(trx, { accountId: me.accountId, url, events: request.body.events, description: request.body.description ?? null, secret, memberId: me.id });
        await writeAudit(trx, { actor: actorOf(request, me.accountId), userId: request.user?.id ?? null, accountId: me.accountId, action: 'webhook.created', details: { endpointId: String(e.id), url, events: e.events } });
        return e;
      });
      await app.webhooks.startAccount(me.accountId);
      app.webhooks.wake(me.accountId);
      return reply.code(201).send({ ...endpointOut(endpoint), secret });
    },
  );

  app.get('/api/webhooks', { config, schema: { response: { 200: Type.Object({ items: Type.Array(EndpointSchema), nextCursor: Type.Null() }) } } }, async (request) => {
    const me = app.auth.requireMember(request, 'admin');
    return { items: (await listEndpoints(app.db, me.accountId)).map(endpointOut), nextCursor: null };
  });

  app.patch<{ Params: Static<typeof Params>; Body: Static<typeof PatchSchema> }>(
    '/api/webhooks/:id',
    { config, schema: { params: Params, body: PatchSchema, response: { 200: EndpointSchema } } },
    async (request) => {
      const me = app.auth.requireMember(request, 'admin');
      const { id } = request.params;
      const change = { ...request.body };
      if (change.url !== undefined) change.url = await app.webhooks.checkUrl(change.url);
      const updated = await app.db.transaction().execute(async (trx) => {
        const e = await updateEndpoint(trx, me.accountId, id, change);
        if (!e) throw notFound(id);
        await writeAudit(trx, { actor: actorOf(request, me.accountId), userId: request.user?.id ?? null, accountId: me.accountId, action: 'webhook.updated', details: { endpointId: id, ...change } });
        return e;
      });
      if (updated.enabled) {
        await app.webhooks.startAccount(me.accountId);
        app.webhooks.wake(me.accountId);
      }
      return endpointOut(updated);
    },
  );

  app.delete<{ Params: Static<typeof Params> }>('/api/webhooks/:id', { config, schema: { params: Params } }, async (request, reply) => {
    const me = app.auth.requireMember(request, 'admin');
    const { id } = request.params;
    await app.db.transaction().execute(async (trx) => {
      if (!(await deleteEndpoint(trx, me.accountId, id))) throw notFound(id);
      await writeAudit(trx, { actor: actorOf(request, me.accountId), userId: request.user?.id ?? null, accountId: me.accountId, action: 'webhook.deleted', details: { endpointId: id } });
    });
    return reply.code(204).send();
  });

  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof DeliveriesQuery> }>(
    '/api/webhooks/:id/deliveries',
    { config, schema: { params: Params, querystring: DeliveriesQuery, response: { 200: Type.Object({ items: Type.Array(DeliverySchema), nextCursor: Nullable(Type.String()) }) } } },
    async (request) => {
      const me = app.auth.requireMember(request, 'admin');
      const { id } = request.params;
      if (!(await findEndpoint(app.db, me.accountId, id))) throw notFound(id);
      const rows = await listDeliveries(app.db, id, request.query.limit, request.query.before);
      return { items: rows.map(deliveryOut), nextCursor: rows.length === request.query.limit ? String(rows.at(-1)!.id) : null };
    },
  );

  app.post<{ Params: Static<typeof DeliveryParams> }>(
    '/api/webhooks/:id/deliveries/:deliveryId/redeliver',
    { config, schema: { params: DeliveryParams } },
    async (request, reply) => {
      const me = app.auth.requireMember(request, 'admin');
      const { id, deliveryId } = request.params;
      if (!(await findEndpoint(app.db, me.accountId, id))) throw notFound(id);
      if (!(await redeliver(app.db, id, deliveryId))) throw new AppError('DELIVERY_NOT_FOUND', `no delivery ${deliveryId} of webhook ${id}`);
      app.webhooks.send();
      return reply.code(202).send({ deliveryId });
    },
  );

  app.post<{ Params: Static<typeof Params> }>(
    '/api/webhooks/:id/test',
    { config, schema: { params: Params, response: { 202: Type.Object({ deliveryId: Type.String() }) } } },
    async (request, reply) => {
      const me = app.auth.requireMember(request, 'admin');
      const { id } = request.params;
      if (!(await findEndpoint(app.db, me.accountId, id))) throw notFound(id);
      const eventId = `evt_test_${crypto.randomUUID()}`;
      const payload = { id: eventId, type: 'webhook.test', createdAt: new Date().toISOString(), data: { endpointId: id, message: 'a test event from Queunir' } };
      // Its own order key: a test must not wait behind the endpoint's stuck deliveries.
      await insertDeliveries(app.db, [{ endpointId: id, eventId, type: 'webhook.test', orderKey: `test:${eventId}`, payload }]);
      const row = await app.db.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', id).where('event_id', '=', eventId).executeTakeFirstOrThrow();
      app.webhooks.send();
      return reply.code(202).send({ deliveryId: String(row.id) });
    },
  );
}
