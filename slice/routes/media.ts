// GET /api/media/:id: a message's stored file, streamed from disk with @fastify/send (Range → 206,
// a bad range → 416), its sha256 as ETag (If-None-Match → 304), and the headers that keep a
// customer's file from acting on our origin (nosniff, octet-stream for unsafe types, attachment).
// ?thumb=1: a 320 px WebP made with sharp; ?download=1: always attachment.
import send from '@fastify/send';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { contentDisposition, isInline, servedType } from '../media/disposition.ts';
import type { StoredKind } from '../media/limits.ts';
import { mediaById, type MediaRecord } from '../store/media.ts';
import { assertMessageVisible } from '../store/visibility.ts';
import { IdParams, notFound } from './common.ts';

const Flag = (description: string) => Type.Union([Type.Literal('1'), Type.Literal('0'), Type.Literal('true'), Type.Literal('false')], { description });
const on = (flag: string | undefined) => flag === '1' || flag === 'true';

const CACHE = 'private, max-age=31536000, immutable';
const FROM_FILE = new Set(['image', 'sticker']);

function notStored(row: MediaRecord): AppError {
  const id = row.id;
  if (row.thumb_sha256) return new AppError('MEDIA_NOT_STORED', `media ${id}: only its thumbnail is stored (WhatsApp has not given the whole file yet); ?thumb=1 serves it`);
  if (row.kind === 'location' || row.kind === 'contact') return new AppError('MEDIA_NOT_STORED', `media ${id} is a ${row.kind}: it has no file, its details are in the message`);
  if (row.state === 'pending') return new AppError('MEDIA_NOT_STORED', `media ${id} is not downloaded yet`);
  return new AppError('MEDIA_NOT_STORED', `media ${id} is not stored (${row.state})`);
}

/** Whether If-None-Match names this ETag (a list, weak forms and * included). */
function matches(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const list = (Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch).split(',').map((t) => t.trim().replace(/^W\//, ''));
  return list.includes('*') || list.includes(etag);
}

const media: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app;

  app.get(
    '/media/:id',
    {
      config: { scope: 'read' },
      schema: {
        params: IdParams,
        querystring: Type.Object(
          {
            thumb: Type.Optional(Flag('1: a 320 px WebP thumbnail instead of the file')),
            download: Type.Optional(Flag('1: always Content-Disposition: attachment')),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const row = await mediaById(store.db, req.params.id);
      if (!row) throw notFound('media', req.params.id);
      await assertMessageVisible(store.db, row.message_id, req.chatScope);
      const kind = row.kind as StoredKind;
      let file: string;
      let etag: string;
      let type: string;
      let inline: boolean;
      let name = row.file_name;
      if (on(req.query.thumb)) {
        const source = row.sha256 && FROM_FILE.has(kind) ? row.sha256 : row.thumb_sha256;
        if (!source) throw new AppError('NOT_FOUND', `media ${row.id} has no thumbnail (only images and stickers, or media whose thumbnail WhatsApp showed, have one)`);
        try {
          file = await store.thumbnails.of(source);
        } catch (err) {
          req.log.warn({ err, media: row.id }, 'no thumbnail could be made');
          throw new AppError('NOT_FOUND', `media ${row.id}: no thumbnail can be made of its file`);
        }
        etag = `"${source}-t320"`;
        type = 'image/webp';
        inline = true;
        name = `${(name ?? `media-${row.id}`).replace(/\.[^.]*$/, '')}-thumb.webp`;
      } else {
        if (!row.sha256 || row.state !== 'stored') throw notStored(row);
        file = store.media.blobs.pathOf(row.sha256);
        etag = `"${row.sha256}"`;
        type = servedType(row.mime_type);
        inline = isInline(kind, row.mime_type);
      }
      const disposition = contentDisposition(inline && !on(req.query.download) ? 'inline' : 'attachment', name, `media-${row.id}`);
      reply.header('etag', etag).header('cache-control', CACHE).header('x-content-type-options', 'nosniff').header('content-security-policy', "default-src 'none'; sandbox");
      if (matches(req.headers['if-none-match'], etag)) return reply.code(304).send();

      // send() answers Range and HEAD; the ETag, type and caching are ours (it would derive them from mtime and extension).
      const out = await send(req.raw, encodeURI(file), { etag: false, lastModified: false, cacheControl: false, contentType: false, dotfiles: 'allow', index: false });
      if (out.type !== 'file') {
        if (out.statusCode === 416) {
          reply.header('content-range', out.headers['Content-Range'] ?? `bytes */*`);
          return reply.code(416).send({ error: { kind: 'InvalidArgument', code: 'INVALID_ARGUMENT', message: `the range ${req.headers.range ?? ''} is outside the file` } });
        }
        out.stream.destroy();
        throw new AppError('INTERNAL', `media ${row.id}: its file could not be read`, { cause: out.type === 'error' ? out.metadata.error : undefined });
      }
      for (const [k, v] of Object.entries(out.headers)) reply.header(k, v);
      reply.header('content-type', type).header('content-disposition', disposition);
      return reply.code(out.statusCode).send(out.stream);
    },
  );
};

export default media;
