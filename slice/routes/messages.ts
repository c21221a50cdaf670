// One message: reacting to it from the CRM (through the page's reaction picker; what the page shows
// afterwards is stored) and its earlier texts when it was edited.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { PENDING_PREFIX, getMessage, listEdits, setReactions } from '../store/messages.ts';
import { MessageShape } from '../store/shapes.ts';
import { assertMessageVisible, type ChatScope } from '../store/visibility.ts';
import { IdParams, notFound } from './common.ts';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;

/** One grapheme that is an emoji (flags, keycaps and skin tones included). */
export function isOneEmoji(text: string): boolean {
  const graphemes = [...segmenter.segment(text)];
  return graphemes.length === 1 && EMOJI.test(text);
}

const messages: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app;

  async function messageWithChat(id: number, scope: ChatScope) {
    await assertMessageVisible(store.db, id, scope);
    const row = await store.db
      .selectFrom('messages as m')
      .innerJoin('chats as c', 'c.id', 'm.chat_id')
      .select(['m.id', 'm.wa_id', 'c.wa_id as chat_wa_id'])
      .where('m.id', '=', String(id))
      .executeTakeFirst();
    if (!row) throw notFound('message', id);
    return row;
  }

  app.put(
    '/messages/:id/reaction',
    {
      config: { scope: 'send' },
      schema: {
        params: IdParams,
        body: Type.Object(
          { emoji: Type.Union([Type.String({ minLength: 1, maxLength: 16, description: 'one emoji' }), Type.Null()], { description: 'one emoji; null takes your reaction back' }) },
          { additionalProperties: false },
        ),
        response: { 200: MessageShape },
      },
    },
    async (req) => {
      const { emoji } = req.body;
      if (emoji !== null && !isOneEmoji(emoji)) throw new AppError('INVALID_ARGUMENT', `body/emoji must be one emoji, got ${JSON.stringify(emoji)}`);
      const msg = await messageWithChat(req.params.id, req.chatScope);
      if (msg.wa_id.startsWith(PENDING_PREFIX)) throw new AppError('FAILED_PRECONDITION', `message ${msg.id} is not sent yet: react once WhatsApp shows it`);
      const state = app.session.status().state;
      if (state !== 'READY') throw new AppError('SLICE_NOT_CONNECTED', `WhatsApp is not connected (state ${state}): no reaction was sent`);
      // The page first: only what WhatsApp Web shows afterwards is stored.
      const chips = await app.session.react(msg.chat_wa_id, msg.wa_id, emoji);
      await store.write(async (trx) => {
        if (!(await setReactions(trx, msg.id, chips))) return { result: undefined, events: [] };
        const m = await getMessage(trx, msg.id);
        return { result: undefined, events: m ? [{ type: 'message.updated', data: m }] : [] };
      });
      return (await getMessage(store.db, msg.id))!;
    },
  );

  app.get(
    '/messages/:id/edits',
    {
      config: { scope: 'read' },
      schema: {
        params: IdParams,
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({ body: Type.String(), replacedAt: Type.String({ format: 'date-time' }) })), nextCursor: Type.Null() }),
        },
      },
    },
    async (req) => {
      const msg = await messageWithChat(req.params.id, req.chatScope);
      return { items: await listEdits(store.db, msg.id), nextCursor: null };
    },
  );
};

export default messages;
