// The media store as the rest of the slice sees it: the WhatsApp side's intake (MediaIntake: takes
// downloads from tmp/), the upload path's way in (storeFile), and where a stored file is. Every
// change of a media row goes through the store's serialised write, so it is announced as
// message.updated exactly when the row changed. A file takes quota once however many messages
// carry it (media_blobs has one row per sha256), and only what fits is kept: a refused file is
// deleted and its row says why, nothing else changes.
import fsp from 'node:fs/promises';
import sharp from 'sharp';
import type { Logger } from '../../lib/logger.ts';
import type { MediaRowState } from '../../sql/slice/media.table.ts';
import type { PendingEvent, SliceDb } from '../store/events.ts';
import { blobExists, ensureMediaRowFor, insertBlob, mediaByMessageWaId, pendingMedia, updateMedia, usedBytes, type MediaPatch } from '../store/media.ts';
import { getMessage } from '../store/messages.ts';
import type { MediaIntake, MediaState, MediaVariant } from '../wa/types.ts';
import { BlobStore, hashFile, storageFull } from './blob-store.ts';
import { maxBytesOf, quotaMessage, tooLargeMessage, type MediaLimits, type StoredKind } from './limits.ts';

/** What the media store needs of the slice's store: its serialised, event-writing transaction. */
export interface MediaWriter {
  readonly db: SliceDb;
  write<T>(fn: (trx: SliceDb) => Promise<{ result: T; events: PendingEvent[] }>): Promise<T>;
}

export type StoreFileResult = { ok: true } | { ok: false; code: 'MEDIA_QUOTA_EXCEEDED' | 'MEDIA_STORAGE_FULL'; message: string };

const MEASURED = new Set(['image', 'sticker']);

export class MediaStore implements MediaIntake {
  readonly blobs: BlobStore;
  readonly limits: MediaLimits;
  readonly #writer: MediaWriter;
  readonly #log: Logger;

  constructor(writer: MediaWriter, blobs: BlobStore, limits: MediaLimits, log: Logger) {
    this.#writer = writer;
    this.blobs = blobs;
    this.limits = limits;
    this.#log = log;
  }

  get tempDir(): string {
    return this.blobs.tempDir;
  }

  open(): Promise<void> {
    return this.blobs.open();
  }

  maxBytes(kind: StoredKind): number {
    return maxBytesOf(this.limits, kind);
  }

  async missing(limit: number): Promise<{ waId: string; chatWaId: string }[]> {
    return pendingMedia(this.#writer.db, limit);
  }

  async holding(waId: string): Promise<'none' | 'thumb' | 'full' | 'settled'> {
    const row = await mediaByMessageWaId(this.#writer.db, waId);
    if (!row) return 'none';
    if (row.state === 'stored') return row.sha256 ? 'full' : 'settled';
    if (row.state === 'failed' || row.state === 'too_large') return 'settled';
    return row.thumb_sha256 ? 'thumb' : 'none';
  }

  /**
   * Inside a write: keeps the finished temp file `tempPath` as blob `sha256` when it fits the
   * quota (or is there already), else deletes it. The temp file is gone afterwards either way.
   */
  async storeFile(trx: SliceDb, tempPath: string, sha256: string, size: number): Promise<StoreFileResult> {
    if (await blobExists(trx, sha256)) {
      await this.blobs.place(tempPath, sha256);
      return { ok: true };
    }
    const used = await usedBytes(trx);
    if (used + size > this.limits.quotaBytes) {
      await fsp.rm(tempPath, { force: true });
      return { ok: false, code: 'MEDIA_QUOTA_EXCEEDED', message: quotaMessage(used, this.limits.quotaBytes) };
    }
    // The file first, then its row: a crash between leaves a whole file no row counts, never a row without its file.
    try {
      await this.blobs.place(tempPath, sha256);
    } catch (err) {
      const full = storageFull(err);
      if (!full) throw err;
      await fsp.rm(tempPath, { force: true });
      return { ok: false, code: 'MEDIA_STORAGE_FULL', message: `not downloaded: ${full.message}` };
    }
    await insertBlob(trx, sha256, size);
    return { ok: true };
  }

  async accept(waId: string, variant: MediaVariant, tempPath: string, info: { mimeType: string | null; fileName: string | null }): Promise<MediaState> {
    try {
      const { sha256, size } = await hashFile(tempPath);
      return await this.#writer.write(async (trx) => {
        const row = (await mediaByMessageWaId(trx, waId)) ?? (await ensureMediaRowFor(trx, waId));
        if (!row) {
          await fsp.rm(tempPath, { force: true });
          this.#log.warn({ waId }, 'a download for a message without media was dropped');
          return { result: 'failed' as MediaState, events: [] };
        }
        const kind = row.kind as StoredKind;
        const already = variant === 'full' ? row.state === 'stored' && row.sha256 !== null : row.thumb_sha256 !== null || row.sha256 !== null;
        if (already) {
          await fsp.rm(tempPath, { force: true });
          return { result: row.state, events: [] };
        }
        let patch: MediaPatch;
        const limit = this.maxBytes(kind);
        if (size > limit) {
          await fsp.rm(tempPath, { force: true });
          if (variant === 'thumb') return { result: row.state, events: [] };
          patch = { state: 'too_large', error_code: 'MEDIA_TOO_LARGE', error_message: `not downloaded: ${tooLargeMessage(kind, size, limit)}` };
        } else {
          const dims = variant === 'full' && MEASURED.has(kind) ? await imageSize(tempPath) : null;
          const stored = await this.storeFile(trx, tempPath, sha256, size);
          if (!stored.ok) patch = { state: 'failed', error_code: stored.code, error_message: stored.message };
          else if (variant === 'thumb') patch = { thumb_sha256: sha256 };
          else {
            patch = {
              sha256,
              size,
              mime_type: info.mimeType ?? row.mime_type,
              file_name: row.file_name ?? info.fileName,
              state: 'stored',
              error_code: null,
              error_message: null,
              ...(dims ? { width: dims.width, height: dims.height } : {}),
            };
          }
        }
        return this.#applied(trx, row.id, row.message_id, row.state, patch);
      });
    } finally {
      await fsp.rm(tempPath, { force: true });
    }
  }

  async failed(waId: string, reason: string): Promise<void> {
    await this.#writer.write(async (trx) => {
      const row = (await mediaByMessageWaId(trx, waId)) ?? (await ensureMediaRowFor(trx, waId));
      if (!row || row.state === 'stored') return { result: undefined, events: [] };
      const out = await this.#applied(trx, row.id, row.message_id, row.state, {
        state: 'failed',
        error_code: 'MEDIA_DOWNLOAD_FAILED',
        error_message: `not downloaded: ${reason}`,
      });
      return { result: undefined, events: out.events };
    });
  }

  async #applied(trx: SliceDb, mediaId: string, messageId: string, state: MediaRowState, patch: MediaPatch): Promise<{ result: MediaState; events: PendingEvent[] }> {
    const changed = await updateMedia(trx, mediaId, patch);
    const next = patch.state ?? state;
    if (!changed) return { result: next, events: [] };
    const message = await getMessage(trx, messageId);
    return { result: next, events: message ? [{ type: 'message.updated', data: { ...message, changed: ['media'] } }] : [] };
  }
}

async function imageSize(file: string): Promise<{ width: number; height: number } | null> {
  try {
    const meta = await sharp(file).metadata();
    return meta.width && meta.height ? { width: meta.width, height: meta.height } : null;
  } catch {
    return null; // not an image sharp reads: stored all the same, without dimensions
  }
}
