// The simulated phone's files: what the other side sends and what it receives, by sha256, in the
// phone's own directory (beside sim-phone.json), so the phone's JSON holds only their ids. The
// simulator page reads them in pieces (the slice's real code then downloads them from the page) and
// writes the files the page sends the same way, so tests can compare them byte for byte.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export class SimMediaFiles {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  private file(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`simulator: not a sha256: ${sha256}`);
    return path.join(this.dir, sha256);
  }

  /** Keeps `bytes`; answers their sha256 and size. */
  put(bytes: Buffer): { sha256: string; size: number } {
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    const file = this.file(sha256);
    if (!fs.existsSync(file)) {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, bytes);
      fs.renameSync(tmp, file);
    }
    return { sha256, size: bytes.length };
  }

  size(sha256: string): number {
    return fs.statSync(this.file(sha256)).size;
  }

  /** `length` bytes from `offset` (fewer at the end). */
  read(sha256: string, offset: number, length: number): Buffer {
    const fd = fs.openSync(this.file(sha256), 'r');
    try {
      const buf = Buffer.alloc(length);
      const n = fs.readSync(fd, buf, 0, length, offset);
      return buf.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Appends a piece the page sends (offset 0 starts the file); the last piece names the sha256 it
   * must have, and the file is kept under it only if it does. */
  receive(uploadId: string, offset: number, bytes: Buffer, last: { sha256: string } | null): boolean {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(uploadId)) throw new Error(`simulator: bad upload id ${uploadId}`);
    const part = path.join(this.dir, `upload-${uploadId}.part`);
    if (offset === 0) fs.writeFileSync(part, bytes);
    else {
      if (fs.statSync(part).size !== offset) throw new Error(`simulator: upload ${uploadId} out of order at ${offset}`);
      fs.appendFileSync(part, bytes);
    }
    if (!last) return true;
    const sha = crypto.createHash('sha256').update(fs.readFileSync(part)).digest('hex');
    if (sha !== last.sha256) {
      fs.rmSync(part, { force: true });
      return false;
    }
    fs.renameSync(part, this.file(sha));
    return true;
  }
}
