// Chats, their messages, sending, reading, labels, stage and notes.
import fs from 'node:fs/promises';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import {
  addChatLabel,
  countChatsByAssignee,
  countUnreadChats,
  getChat,
  listChats,
  markChatRead,
  removeChatLabel,
  setChatDealValue,
  setChatFlags,
  setChatStage,
} from '../store/chats.ts';
import { getLabel } from '../store/labels.ts';
import { listMessages } from '../store/messages.ts';
import { createNote, listNotes } from '../store/notes.ts';
import { ChatShape, ListOf, MessageShape, NoteShape } from '../store/shapes.ts';
import { getStage } from '../store/stages.ts';
import { setAssignee } from '../store/team.ts';
import { visibleChatRow, type ChatScope } from '../store/visibility.ts';
import { receiveUpload } from '../media/upload.ts';
import { Cursor, IdParams, Limit, notFound, requireReady, sentByOf } from './common.ts';
import { IdempotencyHeaders, answerOnce } from './idempotent.ts';
import { parseRecipient, startChat, storedChatOf } from './recipient.ts';

const ChatLabelParams = Type.Object(
  { id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), labelId: Type.Integer({ minimum: 1, maximum: 2147483647 }) },
  { additionalProperties: false },
);

const Count = Type.Integer({ minimum: 0 });

const chats: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app;

  /** The chat when it exists and this request may see it (else 404: NOT_FOUND or CHAT_NOT_VISIBLE). */
  async function chatOr404(id: number, scope: ChatScope) {
    const row = await visibleChatRow(store.db, id, scope);
    if (!row) throw notFound('chat', id);
    return row;
  }

  app.get(
    '/chats',
    {
      config: { scope: 'read' },
      schema: {
        querystring: Type.Object(
          {
            cursor: Type.Optional(Cursor),
            limit: Limit(),
            q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            label: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })),
            stage: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })),
            unread: Type.Optional(Type.Boolean()),
            archived: Type.Optional(Type.Boolean({ description: "true: the Archived list; otherwise the main list, without archived chats" })),
            assignee: Type.Optional(Type.String({ pattern: '^(me|none|[0-9]{1,19})$', description: "me, none (unassigned) or a member's id" })),
          },
          { additionalProperties: false },
        ),
        response: { 200: ListOf(ChatShape) },
      },
    },
    async (req) => listChats(store.db, req.query, req.chatScope, req.actingMember?.id ?? null),
  );

  app.post(
    '/chats',
    {
      config: { scope: 'send' },
      schema: {
        body: Type.Object(
          { phone: Type.String({ pattern: '^\\+?[0-9]{8,15}$', description: 'a phone number, country code first: digits with an optional +' }) },
          { additionalProperties: false },
        ),
        response: { 200: ChatShape, 201: ChatShape },
      },
    },
    async (req, reply) => {
      const to = parseRecipient(req.body.phone, 'body/phone');
      const existing = await storedChatOf(app, to);
      if (existing) {
        await chatOr404(Number(existing), req.chatScope);
        return reply.status(200).send((await getChat(store.db, existing))!);
      }
      const started = await startChat(app, to.e164!);
      return reply.status(201).send((await getChat(store.db, started.id))!);
    },
  );

  app.patch(
    '/chats/:id',
    {
      config: { scope: 'manage' },
      schema: {
        params: IdParams,
        body: Type.Object(
          {
            pinned: Type.Optional(Type.Boolean({ description: 'pin to / unpin from the top of the list' })),
            muted: Type.Optional(Type.Boolean({ description: 'mute / unmute notifications' })),
            archived: Type.Optional(Type.Boolean({ description: 'archive / unarchive' })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: ChatShape },
      },
    },
    async (req) => {
      const chat = await chatOr404(req.params.id, req.chatScope);
      // The page first: only what WhatsApp Web shows done is stored.
      const flags = await app.session.setChatFlags(chat.wa_id, req.body);
      await store.change(async (trx) => ({ result: undefined, chatIds: (await setChatFlags(trx, chat.id, flags)) ? [String(chat.id)] : [] }));
      return (await getChat(store.db, chat.id))!;
    },
  );

  // The number the tab title shows, exact however few chats the browser has loaded.
  app.get('/chats/unread-count', { config: { scope: 'read' }, schema: { response: { 200: Type.Object({ chats: Type.Integer({ minimum: 0 }) }) } } }, async (req) => ({
    chats: await countUnreadChats(store.db, req.chatScope),
  }));

  // The inbox filters' numbers: Mine, Unassigned, All (the main list, what this member may see).
  app.get('/chats/counts', { config: { scope: 'read' }, schema: { response: { 200: Type.Object({ mine: Count, unassigned: Count, all: Count }) } } }, async (req) =>
    countChatsByAssignee(store.db, req.chatScope, req.actingMember?.id ?? null),
  );

  app.put(
    '/chats/:id/assignee',
    {
      config: { scope: 'manage' },
      schema: {
        params: IdParams,
        body: Type.Object(
          { memberId: Type.Union([Type.String({ pattern: '^[0-9]{1,19}$' }), Type.Null()], { description: "a member's id; null unassigns" }) },
          { additionalProperties: false },
        ),
        response: { 200: ChatShape },
      },
    },
    async (req) => {
      const chat = await chatOr404(req.params.id, req.chatScope);
      const { memberId } = req.body;
      const actor = req.actingMember;
      if (actor && actor.role === 'agent') {
        const takes = memberId === actor.id && (chat.assignee_member_id === null || chat.assignee_member_id === actor.id);
        const dropsOwn = memberId === null && chat.assignee_member_id === actor.id;
        if (!takes && !dropsOwn) throw new AppError('ROLE_REQUIRED', 'an agent may take an unassigned chat or give up their own; assigning others needs the role admin');
      }
      if (memberId !== null && !store.team.isActive(memberId)) throw new AppError('MEMBER_NOT_FOUND', `member ${memberId} is not a member of this team`);
      await store.change(async (trx) => ({ result: undefined, chatIds: (await setAssignee(trx, chat.id, memberId)) ? [String(chat.id)] : [], chatChanged: ['assignee'] }));
      return (await getChat(store.db, chat.id))!;
    },
  );

  app.get('/chats/:id', { config: { scope: 'read' }, schema: { params: IdParams, response: { 200: ChatShape } } }, async (req) => {
    await chatOr404(req.params.id, req.chatScope);
    const chat = await getChat(store.db, req.params.id);
    if (!chat) throw notFound('chat', req.params.id);
    return chat;
  });

  app.get(
    '/chats/:id/messages',
    {
      config: { scope: 'read' },
      schema: {
        params: IdParams,
        querystring: Type.Object({ before: Type.Optional(Cursor), limit: Limit() }, { additionalProperties: false }),
        response: { 200: ListOf(MessageShape) },
      },
    },
    async (req) => {
      await chatOr404(req.params.id, req.chatScope);
      return listMessages(store.db, req.params.id, req.query);
    },
  );

  // The parts are read by the handler (streamed to the media store), not collected into a body.
  await app.register(multipart);

  app.post(
    '/chats/:id/messages',
    {
      config: { scope: 'send' },
      schema: {
        params: IdParams,
        body: {
          content: {
            'application/json': {
              schema: Type.Object({ body: Type.String({ minLength: 1, maxLength: 65536, pattern: '\\S' }) }, { additionalProperties: false }),
            },
            // file, caption, voice: checked part by part as they stream (media/upload.ts)
            'multipart/form-data': { schema: Type.Unknown({ description: 'a part "file", optional fields "caption" and "voice"' }) },
          },
        } as never,
        headers: IdempotencyHeaders,
        response: { 202: MessageShape },
      },
    },
    async (req, reply) => {
      const chat = await chatOr404(req.params.id, req.chatScope);
      const to = { id: String(chat.id), wa_id: chat.wa_id };
      const keys = app.outbox.keys;
      if (!req.isMultipart()) {
        const { body } = req.body as { body: string };
        // A replay needs no WhatsApp: the check is the send's.
        return answerOnce(keys, req, reply, { body }, (idempotent) => {
          requireReady(app.session);
          return app.outbox.send(to, body, sentByOf(req.actingMember), idempotent);
        });
      }
      // Before a file is read: it would be read for nothing.
      requireReady(app.session);
      // An upload refused mid-body (too large, the disk full) leaves the rest of the body unread on
      // the connection, which Node then resets: the client must not send its next request on it.
      const upload = await receiveUpload(req, store.media.blobs, store.media.limits).catch((err: unknown) => {
        if (!req.raw.complete) reply.header('connection', 'close');
        throw err;
      });
      try {
        // A file is the same request when its bytes, name, type and caption are.
        const { sha256, size, kind, mimeType, fileName } = upload.file;
        const hashed = { file: { sha256, size, kind, mimeType, fileName }, caption: upload.caption };
        return await answerOnce(keys, req, reply, hashed, (idempotent) => app.outbox.sendMedia(to, upload.file, upload.caption, sentByOf(req.actingMember), idempotent));
      } finally {
        await fs.rm(upload.file.tempPath, { force: true });
      }
    },
  );

  app.post('/chats/:id/read', { config: { scope: 'send' }, schema: { params: IdParams, response: { 200: ChatShape } } }, async (req) => {
    const chat = await chatOr404(req.params.id, req.chatScope);
    await store.change(async (trx) => ({ result: undefined, chatIds: (await markChatRead(trx, chat.id)) ? [String(chat.id)] : [] }));
    if (app.session.status().state === 'READY') {
      // Reading on the phone's side is best effort: the CRM's unread count is already cleared.
      app.session.markRead(chat.wa_id).catch((err) => req.log.warn({ err }, 'marking read in WhatsApp failed'));
    }
    return (await getChat(store.db, chat.id))!;
  });

  app.put('/chats/:id/labels/:labelId', { config: { scope: 'manage' }, schema: { params: ChatLabelParams, response: { 200: ChatShape } } }, async (req) => {
    const chat = await chatOr404(req.params.id, req.chatScope);
    if (!(await getLabel(store.db, req.params.labelId))) throw notFound('label', req.params.labelId);
    await store.change(async (trx) => ({
      result: undefined,
      chatIds: (await addChatLabel(trx, chat.id, req.params.labelId)) ? [String(chat.id)] : [],
    }));
    return (await getChat(store.db, chat.id))!;
  });

  app.delete('/chats/:id/labels/:labelId', { config: { scope: 'manage' }, schema: { params: ChatLabelParams, response: { 200: ChatShape } } }, async (req) => {
    const chat = await chatOr404(req.params.id, req.chatScope);
    if (!(await getLabel(store.db, req.params.labelId))) throw notFound('label', req.params.labelId);
    await store.change(async (trx) => ({
      result: undefined,
      chatIds: (await removeChatLabel(trx, chat.id, req.params.labelId)) ? [String(chat.id)] : [],
    }));
    return (await getChat(store.db, chat.id))!;
  });

  app.put(
    '/chats/:id/stage',
    {
      config: { scope: 'manage' },
      schema: {
        params: IdParams,
        body: Type.Object({ stageId: Type.Union([Type.Integer({ minimum: 1, maximum: 2147483647 }), Type.Null()]) }, { additionalProperties: false }),
        response: { 200: ChatShape },
      },
    },
    async (req) => {
      const chat = await chatOr404(req.params.id, req.chatScope);
      const { stageId } = req.body;
      if (stageId !== null && !(await getStage(store.db, stageId))) throw notFound('stage', stageId);
      await store.change(async (trx) => ({ result: undefined, chatIds: (await setChatStage(trx, chat.id, stageId)) ? [String(chat.id)] : [] }));
      return (await getChat(store.db, chat.id))!;
    },
  );

  app.put(
    '/chats/:id/deal',
    {
      config: { scope: 'manage' },
      schema: {
        params: IdParams,
        body: Type.Object(
          { value: Type.Union([Type.Number({ minimum: 0, maximum: 999_999_999_999.99 }), Type.Null()], { description: 'the deal value; null clears it' }) },
          { additionalProperties: false },
        ),
        response: { 200: ChatShape },
      },
    },
    async (req) => {
      const chat = await chatOr404(req.params.id, req.chatScope);
      await store.change(async (trx) => ({ result: undefined, chatIds: (await setChatDealValue(trx, chat.id, req.body.value)) ? [String(chat.id)] : [] }));
      return (await getChat(store.db, chat.id))!;
    },
  );

  app.get('/chats/:id/notes', { config: { scope: 'read' }, schema: { params: IdParams, response: { 200: ListOf(NoteShape) } } }, async (req) => {
    await chatOr404(req.params.id, req.chatScope);
    return { items: await listNotes(store.db, req.params.id), nextCursor: null };
  });

  app.post(
    '/chats/:id/notes',
    {
      config: { scope: 'manage' },
      schema: {
        params: IdParams,
        body: Type.Object({ body: Type.String({ minLength: 1, maxLength: 10000, pattern: '\\S' }) }, { additionalProperties: false }),
        response: { 201: NoteShape },
      },
    },
    async (req, reply) => {
      await chatOr404(req.params.id, req.chatScope);
      return reply.status(201).send(await store.change(async (trx) => ({ result: await createNote(trx, req.params.id, req.body.body) })));
    },
  );
};

export default chats;
