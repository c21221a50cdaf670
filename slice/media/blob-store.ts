// The media store on disk: content-addressed, one file per sha256 at <dir>/<sha[0:2]>/<sha>,
// written once and never changed. A file reaches its final name only by rename after fsync (file,
// then directory), so a crash leaves either the whole file or none under a final name; what a
// crash leaves in tmp/ is removed when the store opens. Which files count (the quota) is the
// database's media_blobs; this module only moves bytes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../lib/errors.ts';

const SHA256 = /^[0-9a-f]{64}$/;

/** A write that failed for want of disk (ENOSPC, or the filesystem's quota) as the error the caller
 * answers with (507 MEDIA_STORAGE_FULL); null for any other failure. */
export function storageFull(err: unknown): AppError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return null;
  return new AppError('MEDIA_STORAGE_FULL', "the media store's disk is full: the file was not stored; try again once space is freed", { cause: err });
}

export class BlobStore {
  readonly dir: string;
  readonly tempDir: string;
  readonly thumbDir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
    this.tempDir = path.join(this.dir, 'tmp');
    this.thumbDir = path.join(this.dir, 'thumbs');
  }

  /** Creates the folders and empties tmp/: a file there is a download or upload a crash cut short. */
  async open(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await fsp.rm(this.tempDir, { recursive: true, force: true });
    await fsp.mkdir(this.tempDir, { mode: 0o700 });
    await fsp.mkdir(this.thumbDir, { recursive: true, mode: 0o700 });
  }

  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new RangeError(`not a sha256: ${sha256}`);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** A fresh name in tmp/ for a file being written. */
  tempPath(suffix = ''): string {
    return path.join(this.tempDir, `${crypto.randomUUID()}${suffix}`);
  }

  exists(sha256: string): boolean {
    return fs.existsSync(this.pathOf(sha256));
  }

  /**
   * Moves a finished temp file to its final name (fsync first); a file already there is the same
   * bytes and is kept, the temp file deleted.
   */
  async place(tempPath: string, sha256: string): Promise<string> {
    const final = this.pathOf(sha256);
    if (fs.existsSync(final)) {
      await fsp.rm(tempPath, { force: true });
      return final;
    }
    await fsyncFile(tempPath);
    await fsp.mkdir(path.dirname(final), { recursive: true, mode: 0o700 });
    await fsp.rename(tempPath, final);
    await fsyncDir(path.dirname(final));
    return final;
  }

  async remove(sha256: string): Promise<void> {
    await fsp.rm(this.pathOf(sha256), { force: true });
  }
}

/** sha256 (hex) and size of a file, read as a stream. */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = crypto.createHash('sha256');
  let size = 0;
  await pipeline(fs.createReadStream(file), async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      size += chunk.length;
      hash.update(chunk);
    }
    yield* [];
  });
  return { sha256: hash.digest('hex'), size };
}

export async function fsyncFile(file: string): Promise<void> {
  const fh = await fsp.open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
