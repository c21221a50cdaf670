// Thumbnails for lists and bubbles: WebP, longest side 320 px, made once per source file with
// sharp and kept beside the store by the source's sha256 (a file never changes, so neither does
// its thumbnail). Thumbnails are small and derived: they do not count toward the quota.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { BlobStore } from './blob-store.ts';

export const THUMB_SIZE = 320;

export class Thumbnails {
  readonly #blobs: BlobStore;
  readonly #making = new Map<string, Promise<string>>();

  constructor(blobs: BlobStore) {
    this.#blobs = blobs;
  }

  pathOf(sourceSha256: string): string {
    this.#blobs.pathOf(sourceSha256); // validates the name
    return path.join(this.#blobs.thumbDir, sourceSha256.slice(0, 2), `${sourceSha256}.webp`);
  }

  /** The thumbnail's path, made now if it is not there yet (one making per source at a time). */
  async of(sourceSha256: string): Promise<string> {
    const out = this.pathOf(sourceSha256);
    if (fs.existsSync(out)) return out;
    let making = this.#making.get(sourceSha256);
    if (!making) {
      making = this.#make(sourceSha256, out).finally(() => this.#making.delete(sourceSha256));
      this.#making.set(sourceSha256, making);
    }
    return making;
  }

  async #make(sourceSha256: string, out: string): Promise<string> {
    const temp = this.#blobs.tempPath('.webp');
    try {
      await makeThumbnail(this.#blobs.pathOf(sourceSha256), temp);
      await fsp.mkdir(path.dirname(out), { recursive: true, mode: 0o700 });
      await fsp.rename(temp, out);
      return out;
    } finally {
      await fsp.rm(temp, { force: true });
    }
  }
}

/** One thumbnail: rotated as the photo's EXIF says, fitted inside 320×320, never enlarged. */
export async function makeThumbnail(source: string, target: string): Promise<void> {
  await sharp(source, { animated: false, limitInputPixels: 100_000_000 })
    .rotate()
    .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 70 })
    .toFile(target);
}
