// Contacts: list, detail, and the CRM fields (name, email, company, custom fields, stage).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { chatIdsOfContact, contactHasChat, getContact, listContacts, setContactStage, updateContact } from '../store/contacts.ts';
import { ContactShape, ListOf } from '../store/shapes.ts';
import { getStage } from '../store/stages.ts';
import { Cursor, IdParams, Limit, notFound } from './common.ts';

const NullableText = (max: number) => Type.Union([Type.String({ maxLength: max }), Type.Null()]);

const contacts: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app;

  app.get(
    '/contacts',
    {
      config: { scope: 'read' },
      schema: {
        querystring: Type.Object(
          { cursor: Type.Optional(Cursor), limit: Limit(), q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
          { additionalProperties: false },
        ),
        response: { 200: ListOf(ContactShape) },
      },
    },
    async (req) => listContacts(store.db, req.query),
  );

  app.get('/contacts/:id', { config: { scope: 'read' }, schema: { params: IdParams, response: { 200: ContactShape } } }, async (req) => {
    const c = await getContact(store.db, req.params.id);
    if (!c) throw notFound('contact', req.params.id);
    return c;
  });

  app.patch(
    '/contacts/:id',
    {
      config: { scope: 'manage' },
      schema: {
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(NullableText(200)),
            email: Type.Optional(Type.Union([Type.String({ maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' }), Type.Null()])),
            company: Type.Optional(NullableText(200)),
            customFields: Type.Optional(
              Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.String({ maxLength: 2000 }), { maxProperties: 50 }),
            ),
            stageId: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 2147483647 }), Type.Null()])),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: ContactShape },
      },
    },
    async (req) => {
      const id = req.params.id;
      const { stageId, ...fields } = req.body;
      if (!(await getContact(store.db, id))) throw notFound('contact', id);
      if (stageId !== undefined && stageId !== null && !(await getStage(store.db, stageId))) throw notFound('stage', stageId);
      await store.change(async (trx) => {
        if (stageId !== undefined && !(await contactHasChat(trx, id))) {
          throw new AppError('CONTACT_HAS_NO_CHAT', `contact ${id} has no chat, so it cannot be placed in the pipeline`);
        }
        const changed = await updateContact(trx, id, fields);
        const chatIds = new Set(stageId === undefined ? [] : await setContactStage(trx, id, stageId));
        if (changed && fields.name !== undefined) for (const c of await chatIdsOfContact(trx, id)) chatIds.add(c);
        return { result: undefined, chatIds: [...chatIds], contactIds: changed || chatIds.size > 0 ? [String(id)] : [] };
      });
      return (await getContact(store.db, id))!;
    },
  );
};

export default contacts;
