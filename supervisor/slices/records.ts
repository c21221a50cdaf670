// Per-slice records on disk: the token and the desired state, so a restarted daemon knows which
// slices exist and which to start again. One JSON file per slice, mode 0600, in a 0700 directory,
// written atomically (temp file + rename). The database password is never stored: it is rotated
// at each start.
//
// storeGeneration binds a slice to its WhatsApp session store (volume label or marker file): a new
// tenant given slice N never boots on a store left by an earlier one. A slice removed without
// purging its data leaves a tombstone that keeps the generation, so creating it again (the same
// tenant: the gateway recovering a lost token, an operator's remove then create) finds its store.
import fs from 'node:fs';
import path from 'node:path';

export interface SliceRecord {
  id: number;
  token: string;
  desired: 'running' | 'stopped';
  createdAt: string;
  /** The session store this slice owns; LEGACY_GENERATION for records from before generations. */
  storeGeneration: string;
}

/** Records written before stores had generations own the unmarked store they were created with. */
export const LEGACY_GENERATION = 'legacy';

interface Tombstone {
  id: number;
  removed: true;
  storeGeneration: string;
  removedAt: string;
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
        const rec = JSON.parse(fs.readFileSync(path.join(this.dir, name), 'utf8')) as SliceRecord | Tombstone;
        if ('removed' in rec) continue;
        if (Number.isInteger(rec.id) && typeof rec.token === 'string') out.push({ ...rec, storeGeneration: rec.storeGeneration || LEGACY_GENERATION });
      } catch {
        // a torn or foreign file: skipped, never deleted (an operator may want it)
      }
    }
    return out.sort((a, b) => a.id - b.id);
  }

  save(rec: SliceRecord | Tombstone): void {
    const tmp = `${this.file(rec.id)}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(rec) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, this.file(rec.id));
  }

  /** The generation of the store a slice removed without purge left behind, if any. */
  keptGeneration(id: number): string | null {
    try {
      const rec = JSON.parse(fs.readFileSync(this.file(id), 'utf8')) as Partial<Tombstone>;
      return rec.removed && typeof rec.storeGeneration === 'string' ? rec.storeGeneration : null;
    } catch {
      return null;
    }
  }

  /** Forget the slice; its store's generation stays (a tombstone) unless the store was purged too. */
  delete(id: number, keep: { storeGeneration: string } | null = null): void {
    if (keep) this.save({ id, removed: true, storeGeneration: keep.storeGeneration, removedAt: new Date().toISOString() });
    else fs.rmSync(this.file(id), { force: true });
  }
}
