// A file sent from the CRM (multipart/form-data, one part `file`, fields `caption` and `voice`),
// streamed into the media store's tmp/ with its sha256 computed on the way and its kind's limit
// enforced while it streams: past the limit the upload stops, the temp file is deleted, and the
// answer is 413 MEDIA_TOO_LARGE. Nothing here touches the database: the outbox keeps the file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart';
import { AppError } from '../../lib/errors.ts';
import type { UploadedFile } from '../store/outbox.ts';
import { storageFull, type BlobStore } from './blob-store.ts';
import { humanSize, kindOfUpload, maxBytesOf, tooLargeMessage, type MediaLimits } from './limits.ts';

export const MAX_CAPTION = 65536;
const MAX_FILE_NAME = 255;

export interface Upload {
  file: UploadedFile;
  caption: string;
}

/** Reads the request's parts; throws an AppError naming what is wrong, leaving no temp file behind. */
export async function receiveUpload(req: FastifyRequest, blobs: BlobStore, limits: MediaLimits): Promise<Upload> {
  let file: UploadedFile | null = null;
  let caption = '';
  let voice = false;
  try {
    for await (const part of req.parts({ limits: partLimits(limits) })) {
      if (part.type === 'field') {
        const value = typeof part.value === 'string' ? part.value : String(part.value);
        if (part.fieldname === 'caption') {
          if (part.valueTruncated || value.length > MAX_CAPTION) throw new AppError('INVALID_ARGUMENT', `body/caption must be at most ${MAX_CAPTION} characters`);
          caption = value;
        } else if (part.fieldname === 'voice') {
          if (value !== 'true' && value !== 'false') throw new AppError('INVALID_ARGUMENT', 'body/voice must be true or false');
          voice = value === 'true';
        } else {
          throw new AppError('INVALID_ARGUMENT', `body/${part.fieldname} is not a field of a file message (file, caption, voice)`);
        }
        continue;
      }
      if (part.fieldname !== 'file') throw new AppError('INVALID_ARGUMENT', `body/${part.fieldname}: the file goes in the part named "file"`);
      if (file) throw new AppError('INVALID_ARGUMENT', 'body/file: one file per message');
      const mimeType = part.mimetype || 'application/octet-stream';
      // The limit is the kind's; a voice note is audio either way, so a late `voice` field changes no limit.
      const kind = kindOfUpload(mimeType, voice);
      const tempPath = blobs.tempPath();
      const { sha256, size } = await streamToFile(part.file, tempPath, maxBytesOf(limits, kind), (n) =>
        new AppError('MEDIA_TOO_LARGE', `not sent: ${tooLargeMessage(kind, n, maxBytesOf(limits, kind))}`, { details: { kind, limitBytes: maxBytesOf(limits, kind) } }),
      );
      file = { tempPath, sha256, size, kind, mimeType, fileName: safeStoredName(part.filename) };
    }
    if (!file) throw new AppError('INVALID_ARGUMENT', 'body/file is missing: send the file as a multipart part named "file"');
    if (file.size === 0) throw new AppError('INVALID_ARGUMENT', 'body/file is empty: nothing to send');
    file.kind = kindOfUpload(file.mimeType, voice);
    return { file, caption };
  } catch (err) {
    if (file) await fsp.rm(file.tempPath, { force: true });
    throw fromMultipartError(err, limits);
  }
}

function partLimits(limits: MediaLimits) {
  // The per-kind limit is checked while streaming; busboy's is only a backstop one byte above the largest.
  return { fileSize: Math.max(limits.maxPhotoBytes, limits.maxDocumentBytes) + 1, files: 1, fields: 4, parts: 6, fieldSize: MAX_CAPTION * 4, fieldNameSize: 64, headerPairs: 100 };
}

/** Writes `source` to `target` with its sha256, stopping (and deleting `target`) past `limit` bytes. */
export async function streamToFile(source: NodeJS.ReadableStream, target: string, limit: number, tooLarge: (n: number) => Error): Promise<{ sha256: string; size: number }> {
  const hash = crypto.createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > limit) return done(tooLarge(size));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, fs.createWriteStream(target, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    await fsp.rm(target, { force: true });
    throw storageFull(err) ?? err;
  }
  return { sha256: hash.digest('hex'), size };
}

/** As given, minus what no file name should hold (path separators, control characters). */
function safeStoredName(name: string | undefined): string {
  const cleaned = (name ?? '').replace(/[\u0000-\u001f\u007f/\\]/g, '_').trim().slice(0, MAX_FILE_NAME);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
}

/** @fastify/multipart's own errors (limits, a body that is not multipart) as AppErrors. */
function fromMultipartError(err: unknown, limits: MediaLimits): unknown {
  if (err instanceof AppError) return err;
  const e = err as { code?: string; message?: string; statusCode?: number };
  if (e?.code === 'FST_REQ_FILE_TOO_LARGE') {
    return new AppError('MEDIA_TOO_LARGE', `not sent: the file is over the largest limit of ${humanSize(Math.max(limits.maxPhotoBytes, limits.maxDocumentBytes))}`);
  }
  if (typeof e?.code === 'string' && e.code.startsWith('FST_') && (e.statusCode ?? 500) < 500) {
    return new AppError('INVALID_ARGUMENT', `invalid body: ${e.message ?? 'malformed multipart/form-data'}`);
  }
  return err;
}
