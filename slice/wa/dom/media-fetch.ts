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

interface DownloadResult {
  state: 'completed' | 'too_large' | 'canceled';
  guid: string;
  fileName: string;
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

/** What fetch() did while the row was rendered: finished, or started something that goes on
 * (reading the rest of the pieces, waiting for the download) without the row. */
export type FetchStart = { done: FetchOutcome } | { rest: Promise<FetchOutcome> };

export class MediaFetcher {
  private cdp: CDPSession | null = null;
  /** Clicked downloads, in click order, until the page begins them; then by GUID. */
  private awaitingBegin: PendingDownload[] = [];
  private downloads = new Map<string, PendingDownload>();
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
      const p = this.awaitingBegin.shift();
      if (p) {
        this.downloads.set(ev.guid, p);
        p.onBegin(ev.guid, ev.suggestedFilename);
      }
      // A download nobody asked for (none should happen): not kept.
      else void cdp.send('Browser.cancelDownload', { guid: ev.guid }).catch(() => {});
    });
    cdp.on('Browser.downloadProgress', (ev: { guid: string; state: string; receivedBytes: number }) => {
      this.downloads.get(ev.guid)?.onProgress(ev.state, ev.receivedBytes);
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
   * `now` runs what needs the row rendered (finding the source, opening it, clicking); `later`
   * runs the pieces read afterwards, which need only the page.
   */
  async fetch(m: ExtractedMessage, now: PageRunner, later: PageRunner): Promise<FetchStart> {
    const media = m.media;
    if (!media || media.available === 'none') return { done: 'done' };
    const holding = await this.intake.holding(m.waId);
    let variant: MediaVariant;
    if (media.available === 'full' && (holding === 'none' || holding === 'thumb')) variant = 'full';
    else if (media.available === 'thumb' && holding === 'none') variant = 'thumb';
    else return { done: 'done' };
    const max = this.intake.maxBytes(media.kind);
    const info = { mimeType: media.mimeType, fileName: media.fileName };
    const failed = async (err: unknown): Promise<FetchOutcome> => {
      const reason = (err as Error).message;
      this.log.warn({ waId: m.waId, variant, err: reason }, 'could not download a file from the page');
      // A thumbnail that failed leaves the full file to come; a full file failed is recorded.
      if (variant === 'full') await this.intake.failed(m.waId, reason);
      return 'done';
    };
    try {
      if (variant === 'full' && media.size !== null && media.size > max) {
        // The page states a size over the limit: no download, a stand-in one byte over it.
        return { done: await this.handOver(m.waId, variant, this.overLimitFile(max), info) };
      }
      const source = await now(() => inPage(this.page, 'mediaSource', m.waId, variant));
      if (!source) return { done: 'retry' };
      if ('download' in source) {
        const started = await this.startDownload(m.waId, max, now);
        if (!started) return { done: 'retry' };
        return { rest: this.finishDownload(m.waId, max, info, started).catch(failed) };
      }
      const opened = await now(() => this.page.evaluate(openInPage, source.url));
      if (!opened) throw new Error(`the page could not read its ${variant} source`);
      return { rest: this.readPieces(m.waId, variant, opened, max, info, later).catch(failed) };
    } catch (err) {
      return { done: await failed(err) };
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

  private async readPieces(
    waId: string,
    variant: MediaVariant,
    opened: { token: string; size: number; type: string },
    max: number,
    info: { mimeType: string | null; fileName: string | null },
    run: PageRunner,
  ): Promise<FetchOutcome> {
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

  /** Clicks the document's download button while its row is rendered; the outcome comes later. */
  private async startDownload(waId: string, max: number, now: PageRunner): Promise<{ outcome: Promise<DownloadResult> } | null> {
    const cdp = this.cdp;
    if (!cdp) throw new Error('downloads from the page are not enabled');
    const startMs = this.opts.downloadStartMs ?? 10_000;
    const doneMs = this.opts.downloadDoneMs ?? 120_000;
    let timer: NodeJS.Timeout | null = null;
    let fail!: (err: Error) => void;
    const pending: PendingDownload = { guid: null, fileName: null, maxBytes: max, onBegin: () => {}, onProgress: () => {} };
    const outcome = new Promise<DownloadResult>((resolve, reject) => {
      fail = reject;
      pending.onBegin = (guid, fileName) => {
        pending.guid = guid;
        pending.fileName = fileName;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          void cdp.send('Browser.cancelDownload', { guid }).catch(() => {});
          reject(new Error(`the download took longer than ${doneMs} ms`));
        }, doneMs);
      };
      pending.onProgress = (state, received) => {
        if (state === 'inProgress' && received > max) {
          // Too large: stopped as soon as it is known; Chromium removes what it wrote.
          void cdp.send('Browser.cancelDownload', { guid: pending.guid! }).catch(() => {});
          resolve({ state: 'too_large', guid: pending.guid!, fileName: pending.fileName ?? '' });
        } else if (state === 'completed' || state === 'canceled') resolve({ state, guid: pending.guid!, fileName: pending.fileName ?? '' });
      };
    });
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      this.awaitingBegin = this.awaitingBegin.filter((x) => x !== pending);
      if (pending.guid) this.downloads.delete(pending.guid);
    };
    outcome.then(cleanup, cleanup);
    this.awaitingBegin.push(pending);
    const clicked = await now(() => inPage(this.page, 'clickDownload', waId)).catch(() => false);
    if (!clicked) {
      cleanup();
      return null;
    }
    timer = setTimeout(() => fail(new Error(`the page offered no download within ${startMs} ms`)), startMs);
    return { outcome };
  }

  /** Takes the file Chromium wrote into tempDir (or a stand-in over the limit). */
  private async finishDownload(waId: string, max: number, info: { mimeType: string | null; fileName: string | null }, started: { outcome: Promise<DownloadResult> }): Promise<FetchOutcome> {
    const r = await started.outcome;
    const fileInfo = { mimeType: info.mimeType, fileName: info.fileName ?? (r.fileName || null) };
    if (r.state === 'too_large') {
      fs.rmSync(path.join(this.intake.tempDir, r.guid), { force: true });
      return this.handOver(waId, 'full', this.overLimitFile(max), fileInfo);
    }
    if (r.state === 'canceled') throw new Error('the download was canceled');
    return this.handOver(waId, 'full', path.join(this.intake.tempDir, r.guid), fileInfo);
  }
}
