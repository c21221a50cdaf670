// Notes by id (creating and listing live under a chat, in chats.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { deleteNote, updateNote } from '../store/notes.ts';
import { NoteShape } from '../store/shapes.ts';
import { assertNoteVisible } from '../store/visibility.ts';
import { IdParams, notFound } from './common.ts';

const notes: FastifyPluginAsyncTypebox = async (app) => {
  app.patch(
    '/notes/:id',
    {
      config: { scope: 'manage' },
      schema: {
        params: IdParams,
        body: Type.Object({ body: Type.String({ minLength: 1, maxLength: 10000, pattern: '\\S' }) }, { additionalProperties: false }),
        response: { 200: NoteShape },
      },
    },
    async (req) => {
      await assertNoteVisible(app.store.db, req.params.id, req.chatScope);
      const note = await app.store.change(async (trx) => ({ result: await updateNote(trx, req.params.id, req.body.body) }));
      if (!note) throw notFound('note', req.params.id);
      return note;
    },
  );

  app.delete('/notes/:id', { config: { scope: 'manage' }, schema: { params: IdParams } }, async (req, reply) => {
    await assertNoteVisible(app.store.db, req.params.id, req.chatScope);
    if (!(await app.store.change(async (trx) => ({ result: await deleteNote(trx, req.params.id) })))) throw notFound('note', req.params.id);
    return reply.status(204).send();
  });
};

export default notes;
