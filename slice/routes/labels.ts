// Labels: CRUD. Renaming or deleting one changes how its chats look, so those chats are announced.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { chatIdsWithLabel } from '../store/chats.ts';
import { createLabel, deleteLabel, listLabels, updateLabel } from '../store/labels.ts';
import { LabelShape, ListOf } from '../store/shapes.ts';
import { ADMIN, Color, notFound } from './common.ts';

const LabelParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) }, { additionalProperties: false });
const Name = Type.String({ minLength: 1, maxLength: 60, pattern: '\\S' });

const labels: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app;

  app.get('/labels', { config: { minRole: 'agent', scope: 'read' }, schema: { response: { 200: ListOf(LabelShape) } } }, async () => ({ items: await listLabels(store.db), nextCursor: null }));

  app.post(
    '/labels',
    {
      config: { ...ADMIN, scope: 'manage' },
      schema: {
        body: Type.Object({ name: Name, color: Type.Optional(Color) }, { additionalProperties: false }),
        response: { 201: LabelShape },
      },
    },
    async (req, reply) => reply.status(201).send(await store.change(async (trx) => ({ result: await createLabel(trx, req.body) }))),
  );

  app.patch(
    '/labels/:id',
    {
      config: { ...ADMIN, scope: 'manage' },
      schema: {
        params: LabelParams,
        body: Type.Object({ name: Type.Optional(Name), color: Type.Optional(Color) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: LabelShape },
      },
    },
    async (req) => {
      const id = req.params.id;
      const label = await store.change(async (trx) => {
        const updated = await updateLabel(trx, id, req.body);
        return { result: updated, chatIds: updated ? await chatIdsWithLabel(trx, id) : [] };
      });
      if (!label) throw notFound('label', id);
      return label;
    },
  );

  app.delete('/labels/:id', { config: { ...ADMIN, scope: 'manage' }, schema: { params: LabelParams } }, async (req, reply) => {
    const id = req.params.id;
    const deleted = await store.change(async (trx) => {
      const chatIds = await chatIdsWithLabel(trx, id);
      const ok = await deleteLabel(trx, id);
      return { result: ok, chatIds: ok ? chatIds : [] };
    });
    if (!deleted) throw notFound('label', id);
    return reply.status(204).send();
  });
};

export default labels;
