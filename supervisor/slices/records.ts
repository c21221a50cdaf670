// Per-slice records on disk: the token and the desired state, so a restarted daemon knows which
// slices exist and which to start again. One JSON file per slice, mode 0600, in a 0700 directory,
// written atomically (temp file + rename). The database password is never stored: it is rotated
// at each start.
import fs from 'node:fs';
import path from 'node:path';

export interface SliceRecord {
  id: number;
  token: string;
  desired: 'running' | 'stopped';
  createdAt: string;
}

export class RecordStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'slices');
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.dir, 0o700);
  }

  private file(id: number): string {
    return path.join(this.dir, `slice-${id}.json`);
  }

  loadAll(): SliceRecord[] {
    const out: SliceRecord[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (!/^slice-\d+\.json$/.test(name)) continue;
      try {
        const rec = JSON.parse(fs.readFileSync(path.join(this.dir, name), 'utf8')) as SliceRecord;
        if (Number.isInteger(rec.id) && typeof rec.token === 'string') out.push(rec);
      } catch {
        // a torn or foreign file: skipped, never deleted (an operator may want it)
      }
    }
    return out.sort((a, b) => a.id - b.id);
  }

  save(rec: SliceRecord): void {
    const tmp = `${this.file(rec.id)}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(rec) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, this.file(rec.id));
  }

  delete(id: number): void {
    fs.rmSync(this.file(id), { force: true });
  }
}
