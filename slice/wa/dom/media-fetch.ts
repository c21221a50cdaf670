// Downloads a reported message's file from the page, DOM-only: a blob:/data: source is fetched
// inside the page and read out in pieces (base64, one page.evaluate each), or a document's download
// button is clicked and the download the page offers is captured through CDP into the intake's
// tempDir. Nothing here touches WhatsApp's modules. Node never holds more than one piece: each is
// appended to the temp file (and hashed) as it comes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CDPSession, Page } from 'puppeteer-core';
import type { Logger } from 'pino';
import type { ExtractedMessage, MediaIntake, MediaState, MediaVariant } from '../types.ts';
import { inPage } from './extract.ts';

/** Bytes read per page.evaluate: big enough to be quick, small enough that a send waits little. */
export const PIECE_BYTES = 512 * 1024;

/** What the piece reader did, for tests and benchmarks: the largest piece and payload it took. */
export const mediaFetchStats = { pieces: 0, largestPieceBytes: 0, largestPayloadChars: 0 };

/** Runs a page action: straight away (already inside the page queue) or queued behind the others. */
export type PageRunner = <T>(fn: () => Promise<T>) => Promise<T>;

/** done: nothing more to do for what the row shows now; retry: the row was not rendered. */
export type FetchOutcome = 'done' | 'retry';

interface Opts {
  pieceBytes?: number;
  /** ms for the page to start a download after its button is clicked, and for it to finish. */
  downloadStartMs?: number;
  downloadDoneMs?: number;
}

interface PendingDownload {
  guid: string | null;
  fileName: string | null;
  maxBytes: number;
  onBegin: (guid: string, fileName: string) => void;
  onProgress: (state: string, received: number) => void;
}

/** In-page: fetches `url` into a Blob kept under a token (so the row may go away meanwhile). */
async function openInPage(url: string): Promise<{ token: string; size: number; type: string } | null> {
  type W = Window & { __qnBlobs?: Record<string, Blob> };
  const w = window as W;
  const res = await fetch(url);
  if (!res.ok) return null;
  const blob = await res.blob();
  const token = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  (w.__qnBlobs ??= {})[token] = blob;
  return { token, size: blob.size, type: blob.type };
}

/** In-page: `length` bytes of the kept Blob from `offset`, as base64. */
function readInPage(token: string, offset: number, length: number): Promise<string> {
  const blob = (window as Window & { __qnBlobs?: Record<string, Blob> }).__qnBlobs?.[token];
  if (!blob) return Promise.reject(new Error('the file is no longer held by the page'));
  return new Promise((resolve, reject) => {
    const fr = new FileReader();
    fr.onload = () => resolve(String(fr.result).replace(/^data:[^,]*,/, ''));
    fr.onerror = () => reject(fr.error ?? new Error('read failed'));
    fr.readAsDataURL(blob.slice(offset, offset + length));
  });
}

function closeInPage(token: string): void {
  const w = window as Window & { __qnBlobs?: Record<string, Blob> };
  if (w.__qnBlobs) delete w.__qnBlobs[token];
}

export class MediaFetcher {
  private cdp: CDPSession | null = null;
  private pending: PendingDownload | null = null;
  private readonly pieceBytes: number;

  constructor(
    private readonly page: Page,
    private readonly intake: MediaIntake,
    private readonly log: Logger,
    private readonly opts: Opts = {},
  ) {
    this.pieceBytes = opts.pieceBytes ?? PIECE_BYTES;
  }

  /** Downloads the page offers go to the intake's tempDir under a GUID name, with progress events. */
  async enableDownloads(): Promise<void> {
    const cdp = await this.page.browser().target().createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allowAndName', downloadPath: this.intake.tempDir, eventsEnabled: true });
    cdp.on('Browser.downloadWillBegin', (ev: { guid: string; suggestedFilename: string }) => {
      const p = this.pending;
      if (p && !p.guid) p.onBegin(ev.guid, ev.suggestedFilename);
      // A download nobody asked for (none should happen): not kept.
      else void cdp.send('Browser.cancelDownload', { guid: ev.guid }).catch(() => {});
    });
    cdp.on('Browser.downloadProgress', (ev: { guid: string; state: string; receivedBytes: number }) => {
      const p = this.pending;
      if (p && p.guid === ev.guid) p.onProgress(ev.state, ev.receivedBytes);
    });
    this.cdp = cdp;
  }

  async dispose(): Promise<void> {
    await this.cdp?.detach().catch(() => {});
    this.cdp = null;
  }

  /**
   * Fetches what the store lacks of message `m`'s file (committed already): the thumbnail when only
   * that is shown, the whole file when the page has it. Files over maxBytes(kind) are cut at
   * maxBytes+1 bytes, so accept() sees them too large without the slice reading them whole.
   */
  async fetch(m: ExtractedMessage, run: PageRunner): Promise<FetchOutcome> {
    const media = m.media;
    if (!media || media.available === 'none') return 'done';
    const holding = await this.intake.holding(m.waId);
    let variant: MediaVariant;
    if (media.available === 'full' && (holding === 'none' || holding === 'thumb')) variant = 'full';
    else if (media.available === 'thumb' && holding === 'none') variant = 'thumb';
    else return 'done';
    const max = this.intake.maxBytes(media.kind);
    const info = { mimeType: media.mimeType, fileName: media.fileName };
    if (variant === 'full' && media.size !== null && media.size > max) {
      // The page states a size over the limit: no download, a stand-in one byte over it.
      return this.handOver(m.waId, variant, this.overLimitFile(max), info);
    }
    const source = await run(() => inPage(this.page, 'mediaSource', m.waId, variant));
    if (!source) return 'retry';
    try {
      if ('download' in source) return await this.viaDownload(m.waId, max, info, run);
      return await this.viaPieces(m.waId, variant, source.url, max, info, run);
    } catch (err) {
      const reason = (err as Error).message;
      this.log.warn({ waId: m.waId, variant, err: reason }, 'could not download a file from the page');
      // A thumbnail that failed leaves the full file to come; a full file failed is recorded.
      if (variant === 'full') await this.intake.failed(m.waId, reason);
      return 'done';
    }
  }

  private tempPath(): string {
    return path.join(this.intake.tempDir, `page-${crypto.randomUUID()}.part`);
  }

  /** A sparse file of max+1 bytes: what accept() refuses as too large, without reading anything. */
  private overLimitFile(max: number): string {
    const file = this.tempPath();
    const fd = fs.openSync(file, 'w');
    try {
      fs.ftruncateSync(fd, max + 1);
    } finally {
      fs.closeSync(fd);
    }
    return file;
  }

  private async handOver(waId: string, variant: MediaVariant, file: string, info: { mimeType: string | null; fileName: string | null }): Promise<FetchOutcome> {
    try {
      const state: MediaState = await this.intake.accept(waId, variant, file, info);
      this.log.debug({ waId, variant, state }, 'file handed to the media store');
      return 'done';
    } finally {
      fs.rmSync(file, { force: true }); // taken (renamed away) or refused: nothing stays behind
    }
  }

  private async viaPieces(
    waId: string,
    variant: MediaVariant,
    url: string,
    max: number,
    info: { mimeType: string | null; fileName: string | null },
    run: PageRunner,
  ): Promise<FetchOutcome> {
    const opened = await run(() => this.page.evaluate(openInPage, url));
    if (!opened) throw new Error(`the page could not read its ${variant} source`);
    const file = this.tempPath();
    const fd = fs.openSync(file, 'w');
    const hash = crypto.createHash('sha256');
    let read = 0;
    try {
      // Never more than max+1 bytes: enough for accept() to see the file is too large.
      const limit = Math.min(opened.size, max + 1);
      while (read < limit) {
        const want = Math.min(this.pieceBytes, limit - read);
        const b64 = await run(() => this.page.evaluate(readInPage, opened.token, read, want));
        const piece = Buffer.from(b64, 'base64');
        if (piece.length === 0) throw new Error(`the page's file ended at ${read} of ${opened.size} bytes`);
        mediaFetchStats.pieces++;
        mediaFetchStats.largestPieceBytes = Math.max(mediaFetchStats.largestPieceBytes, piece.length);
        mediaFetchStats.largestPayloadChars = Math.max(mediaFetchStats.largestPayloadChars, b64.length);
        fs.writeSync(fd, piece);
        hash.update(piece);
        read += piece.length;
      }
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      throw err;
    } finally {
      await run(() => this.page.evaluate(closeInPage, opened.token)).catch(() => {});
    }
    fs.closeSync(fd);
    this.log.debug({ waId, variant, bytes: read, sha256: hash.digest('hex') }, 'read a file from the page');
    return this.handOver(waId, variant, file, { mimeType: info.mimeType ?? (opened.type || null), fileName: info.fileName });
  }

  /** Clicks the document's download button and takes the file Chromium writes into tempDir. */
  private async viaDownload(waId: string, max: number, info: { mimeType: string | null; fileName: string | null }, run: PageRunner): Promise<FetchOutcome> {
    const cdp = this.cdp;
    if (!cdp) throw new Error('downloads from the page are not enabled');
    if (this.pending) return 'retry'; // one download at a time: this one comes again later
    const startMs = this.opts.downloadStartMs ?? 10_000;
    const doneMs = this.opts.downloadDoneMs ?? 120_000;
    let timer: NodeJS.Timeout | null = null;
    const outcome = new Promise<{ state: 'completed' | 'too_large' | 'canceled'; guid: string; fileName: string }>((resolve, reject) => {
      const p: PendingDownload = {
        guid: null,
        fileName: null,
        maxBytes: max,
        onBegin: (guid, fileName) => {
          p.guid = guid;
          p.fileName = fileName;
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => {
            void cdp.send('Browser.cancelDownload', { guid }).catch(() => {});
            reject(new Error(`the download took longer than ${doneMs} ms`));
          }, doneMs);
        },
        onProgress: (state, received) => {
          if (state === 'inProgress' && received > max) {
            // Too large: stopped as soon as it is known; Chromium removes what it wrote.
            void cdp.send('Browser.cancelDownload', { guid: p.guid! }).catch(() => {});
            resolve({ state: 'too_large', guid: p.guid!, fileName: p.fileName ?? '' });
          } else if (state === 'completed' || state === 'canceled') resolve({ state, guid: p.guid!, fileName: p.fileName ?? '' });
        },
      };
      this.pending = p;
      timer = setTimeout(() => reject(new Error(`the page offered no download within ${startMs} ms`)), startMs);
    });
    try {
      const clicked = await run(() => inPage(this.page, 'clickDownload', waId));
      if (!clicked) return 'retry';
      const r = await outcome;
      const fileInfo = { mimeType: info.mimeType, fileName: info.fileName ?? (r.fileName || null) };
      if (r.state === 'too_large') {
        fs.rmSync(path.join(this.intake.tempDir, r.guid), { force: true });
        return await this.handOver(waId, 'full', this.overLimitFile(max), fileInfo);
      }
      if (r.state === 'canceled') throw new Error('the download was canceled');
      return await this.handOver(waId, 'full', path.join(this.intake.tempDir, r.guid), fileInfo);
    } finally {
      if (timer) clearTimeout(timer);
      this.pending = null;
      outcome.catch(() => {});
    }
  }
}
