// One message: sending it to a number or a WhatsApp id (the chat started in WhatsApp Web when there
// is none yet), reacting to it from the CRM (through the page's reaction picker; what the page
// shows afterwards is stored) and its earlier texts when it was edited.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { PENDING_PREFIX, getMessage, listEdits, setReactions } from '../store/messages.ts';
import { MessageShape } from '../store/shapes.ts';
import { assertMessageVisible, visibleChatRow, type ChatScope } from '../store/visibility.ts';
import { IdParams, notFound, requireReady, sentByOf } from './common.ts';
import { IdempotencyHeaders, answerOnce } from './idempotent.ts';
import { parseRecipient, startChat, storedChatOf } from './recipient.ts';

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

  app.post(
    '/messages',
    {
      config: { scope: 'send' },
      schema: {
        description:
          'Sends a text to a phone number or a WhatsApp id: to the chat with it, or to a chat started now in WhatsApp Web ("New chat") when there is none. 202 with the pending message (its chatId names the chat), as POST /api/chats/{id}/messages.',
        body: Type.Object(
          {
            to: Type.String({
              minLength: 1,
              maxLength: 100,
              description: 'a phone number, country code first, in any format ("+55 11 91234-5678", "5511912345678"), or a WhatsApp id ("5511912345678@c.us", a group\'s "…@g.us")',
            }),
            body: Type.String({ minLength: 1, maxLength: 65536, pattern: '\\S' }),
          },
          { additionalProperties: false },
        ),
        headers: IdempotencyHeaders,
        response: { 202: MessageShape },
      },
    },
    async (req, reply) => {
      const to = parseRecipient(req.body.to, 'body/to');
      const { body } = req.body;
      // The recipient as WhatsApp names it: the same number however written is the same request.
      return answerOnce(app.outbox.keys, req, reply, { to: to.waId, body }, async (idempotent) => {
        requireReady(app.session);
        const stored = await storedChatOf(app, to);
        let chat: { id: string; wa_id: string };
        if (stored) {
          const row = await visibleChatRow(store.db, stored, req.chatScope);
          if (!row) throw notFound('chat', stored);
          chat = { id: String(row.id), wa_id: row.wa_id };
        } else if (to.e164 !== null) {
          chat = await startChat(app, to.e164);
        } else {
          throw new AppError('NOT_FOUND', `no chat ${to.waId}: ${to.waId.endsWith('@g.us') ? 'a group is not started from its id' : 'its digits are no valid phone number to start one with'}`);
        }
        return app.outbox.send(chat, body, sentByOf(req.actingMember), idempotent);
      });
    },
  );

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
        return { result: undefined, events: m ? [{ type: 'message.updated', data: { ...m, changed: ['reactions'] } }] : [] };
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
