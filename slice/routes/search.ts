// Full-text search over message bodies, accents and case aside, newest first; each hit names its chat.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { searchMessages } from '../store/messages.ts';
import { ListOf, SearchHitShape } from '../store/shapes.ts';
import { Cursor, Limit } from './common.ts';

const search: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/search',
    {
      config: { scope: 'read' },
      schema: {
        querystring: Type.Object(
          { q: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }), cursor: Type.Optional(Cursor), limit: Limit() },
          { additionalProperties: false },
        ),
        response: { 200: ListOf(SearchHitShape) },
      },
    },
    async (req) => searchMessages(app.store.db, app.store.options.schema, req.query, req.chatScope),
  );
};

export default search;
