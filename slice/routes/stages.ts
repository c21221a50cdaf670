// Pipeline stages: CRUD and reorder. Deleting a stage takes its chats out of the pipeline.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { ListOf, StageOutcome, StageShape } from '../store/shapes.ts';
import { createStage, deleteStage, listStages, reorderStages, updateStage } from '../store/stages.ts';
import { ADMIN, Color, notFound } from './common.ts';

const StageParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) }, { additionalProperties: false });
const Name = Type.String({ minLength: 1, maxLength: 80, pattern: '\\S' });

const stages: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app;

  app.get('/stages', { config: { minRole: 'agent', scope: 'read' }, schema: { response: { 200: ListOf(StageShape) } } }, async () => ({ items: await listStages(store.db), nextCursor: null }));

  app.post(
    '/stages',
    {
      config: { ...ADMIN, scope: 'manage' },
      schema: {
        body: Type.Object({ name: Name, color: Type.Optional(Color) }, { additionalProperties: false }),
        response: { 201: StageShape },
      },
    },
    async (req, reply) => reply.status(201).send(await store.change(async (trx) => ({ result: await createStage(trx, req.body) }))),
  );

  app.put(
    '/stages/order',
    {
      config: { ...ADMIN, scope: 'manage' },
      schema: {
        body: Type.Object(
          { ids: Type.Array(Type.Integer({ minimum: 1, maximum: 2147483647 }), { uniqueItems: true, maxItems: 1000 }) },
          { additionalProperties: false },
        ),
        response: { 200: ListOf(StageShape) },
      },
    },
    async (req) => {
      const ids = req.body.ids;
      await store.change(async (trx) => {
        const existing = (await listStages(trx)).map((s) => s.id);
        const given = new Set(ids);
        const missing = existing.filter((id) => !given.has(id));
        const unknown = ids.filter((id) => !existing.includes(id));
        if (missing.length > 0 || unknown.length > 0) {
          throw new AppError(
            'INVALID_ARGUMENT',
            `body/ids must list every stage exactly once${missing.length ? `; missing ${missing.join(', ')}` : ''}${unknown.length ? `; unknown ${unknown.join(', ')}` : ''}`,
          );
        }
        await reorderStages(trx, ids);
        return { result: undefined };
      });
      return { items: await listStages(store.db), nextCursor: null };
    },
  );

  app.patch(
    '/stages/:id',
    {
      config: { ...ADMIN, scope: 'manage' },
      schema: {
        params: StageParams,
        body: Type.Object(
          { name: Type.Optional(Name), color: Type.Optional(Color), outcome: Type.Optional(StageOutcome) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: StageShape },
      },
    },
    async (req) => {
      const stage = await store.change(async (trx) => ({ result: await updateStage(trx, req.params.id, req.body) }));
      if (!stage) throw notFound('stage', req.params.id);
      return stage;
    },
  );

  app.delete('/stages/:id', { config: { ...ADMIN, scope: 'manage' }, schema: { params: StageParams } }, async (req, reply) => {
    const id = req.params.id;
    const deleted = await store.change(async (trx) => {
      const chats = await trx.selectFrom('chats').select('id').where('stage_id', '=', id).execute();
      const ok = await deleteStage(trx, id);
      return { result: ok, chatIds: ok ? chats.map((c) => String(c.id)) : [] };
    });
    if (!deleted) throw notFound('stage', id);
    return reply.status(204).send();
  });
};

export default stages;
