// Sim-only controls (WA_MODE=sim): the simulated phone's actions, so tests and the demo can drive
// a slice that runs as a separate process. Behind the same token as everything else; not
// registered at all in wwebjs mode.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError, isAppError } from '../../lib/errors.ts';
import { SIM_FAULTS, type SimControl } from '../wa/types.ts';

const MEDIA_KINDS = ['image', 'video', 'audio', 'voice', 'document', 'sticker', 'location', 'contact'] as const;
/** 32 MiB of base64 (24 MiB of file): a test's 5 MB image fits. */
const MAX_BASE64 = 32 * 1024 * 1024;

const sim: FastifyPluginAsyncTypebox = async (app) => {
  /** Runs one phone action; the phone's own failures (no page yet, unknown chat) are the caller's to fix. */
  async function act<T>(fn: (c: SimControl) => Promise<T>): Promise<T> {
    const c = app.session.sim;
    if (!c) throw new AppError('FAILED_PRECONDITION', 'the simulator is not running');
    try {
      return await fn(c);
    } catch (err) {
      if (isAppError(err)) throw err;
      throw new AppError('FAILED_PRECONDITION', `simulator: ${(err as Error).message ?? String(err)}`, { cause: err });
    }
  }
  const Ok = Type.Object({ ok: Type.Boolean() });
  // The phone's side, not the CRM's: the gateway never relays these, and no member may call them.
  const SYSTEM_ONLY = { minRole: 'system' as const, scope: 'session' as const };

  app.post('/sim/scan', { config: SYSTEM_ONLY, schema: { response: { 200: Ok } } }, async () => {
    await act((c) => c.scan());
    return { ok: true };
  });

  app.post(
    '/sim/incoming',
    {
      config: SYSTEM_ONLY,
      bodyLimit: MAX_BASE64 + 1024 * 1024,
      schema: {
        body: Type.Object(
          {
            chatWaId: Type.String({ minLength: 1, maxLength: 200 }),
            // A file, location or contact card may come without a caption.
            body: Type.String({ maxLength: 65536 }),
            author: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            media: Type.Optional(
              Type.Object(
                {
                  kind: Type.Union(MEDIA_KINDS.map((k) => Type.Literal(k))),
                  mimeType: Type.String({ minLength: 3, maxLength: 200, pattern: '^[\\w.+-]+/[\\w.+-]+(\\s*;\\s*[\\w.+-]+=[\\w.+-]+)*$', description: 'a media type, with parameters if any (audio/ogg; codecs=opus)' }),
                  fileName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
                  // 5 MB files and more: the body limit is raised for this route.
                  dataBase64: Type.Optional(Type.String({ maxLength: MAX_BASE64, pattern: '^[A-Za-z0-9+/]*={0,2}$' })),
                  downloadAfterMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
                  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
                },
                { additionalProperties: false },
              ),
            ),
            quotedWaId: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
            system: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ ok: Type.Boolean(), waId: Type.String(), sentAt: Type.String() }) },
      },
    },
    async (req) => {
      const m = req.body.media;
      if (!req.body.body && !m) throw new AppError('INVALID_ARGUMENT', 'body: a message needs text, or media with it');
      if (m && m.kind !== 'location' && m.kind !== 'contact' && !m.dataBase64) throw new AppError('INVALID_ARGUMENT', `media.dataBase64: a ${m.kind} needs its bytes`);
      if (m && req.body.system) throw new AppError('INVALID_ARGUMENT', 'system: a system notice carries no media');
      const r = await act((c) => c.deliverIncoming(req.body));
      return { ok: true, waId: r.waId, sentAt: r.sentAt };
    },
  );

  const WaId = Type.String({ minLength: 1, maxLength: 300 });
  app.post(
    '/sim/react',
    {
      config: SYSTEM_ONLY,
      schema: {
        // One emoji (a few code points with modifiers); null takes the other side's reaction back.
        body: Type.Object({ waId: WaId, emoji: Type.Union([Type.String({ minLength: 1, maxLength: 16 }), Type.Null()]) }, { additionalProperties: false }),
        response: { 200: Ok },
      },
    },
    async (req) => {
      await act((c) => c.reactFromPhone(req.body.waId, req.body.emoji));
      return { ok: true };
    },
  );

  app.post(
    '/sim/edit',
    { config: SYSTEM_ONLY, schema: { body: Type.Object({ waId: WaId, body: Type.String({ minLength: 1, maxLength: 65536 }) }, { additionalProperties: false }), response: { 200: Ok } } },
    async (req) => {
      await act((c) => c.editFromPhone(req.body.waId, req.body.body));
      return { ok: true };
    },
  );

  app.post(
    '/sim/recall',
    { config: SYSTEM_ONLY, schema: { body: Type.Object({ waId: WaId }, { additionalProperties: false }), response: { 200: Ok } } },
    async (req) => {
      await act((c) => c.recallFromPhone(req.body.waId));
      return { ok: true };
    },
  );

  app.post(
    '/sim/ack',
    {
      config: SYSTEM_ONLY,
      schema: {
        body: Type.Object({ waId: Type.String({ minLength: 1, maxLength: 300 }), ack: Type.Integer({ minimum: -1, maximum: 4 }) }, { additionalProperties: false }),
        response: { 200: Ok },
      },
    },
    async (req) => {
      await act((c) => c.ackOutgoing(req.body.waId, req.body.ack));
      return { ok: true };
    },
  );

  app.post(
    '/sim/remove-selector',
    {
      config: SYSTEM_ONLY,
      schema: { body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }), response: { 200: Ok } },
    },
    async (req) => {
      await act((c) => c.removeSelector(req.body.name));
      return { ok: true };
    },
  );

  // Faults for the recovery tests: the page hangs now, or the next page closes while it is set up,
  // or the next link never becomes ready.
  app.post(
    '/sim/fault',
    {
      config: SYSTEM_ONLY,
      schema: { body: Type.Object({ name: Type.Union(SIM_FAULTS.map((f) => Type.Literal(f))) }, { additionalProperties: false }), response: { 200: Ok } },
    },
    async (req) => {
      await act((c) => c.fault(req.body.name));
      return { ok: true };
    },
  );

  app.post('/sim/logout-from-phone', { config: SYSTEM_ONLY, schema: { response: { 200: Ok } } }, async () => {
    await act((c) => c.logoutFromPhone());
    return { ok: true };
  });

  // What the other side's phone holds of a chat: tests compare sent files byte for byte by sha256.
  const PhoneMessage = Type.Object({
    waId: Type.String(),
    fromMe: Type.Boolean(),
    body: Type.String(),
    sentAt: Type.String(),
    ack: Type.Integer(),
    kind: Type.Union([Type.Literal('text'), Type.Literal('media'), Type.Literal('system')]),
    media: Type.Union([
      Type.Null(),
      Type.Object({ kind: Type.String(), mimeType: Type.String(), fileName: Type.Union([Type.String(), Type.Null()]), size: Type.Integer(), sha256: Type.String() }),
    ]),
    reactions: Type.Array(Type.Object({ emoji: Type.String(), fromMe: Type.Boolean() })),
    edited: Type.Boolean(),
    recalled: Type.Boolean(),
  });
  app.get(
    '/sim/phone/messages',
    {
      config: SYSTEM_ONLY,
      schema: {
        querystring: Type.Object({ chatWaId: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(PhoneMessage) }) },
      },
    },
    async (req) => ({ items: await act((c) => c.phoneMessages(req.query.chatWaId)) }),
  );
};

export default sim;
