// An intake that takes no file: for a WhatsApp side run without a store (benchmarks, tools). Every
// download is deleted and the media counts as settled, so nothing is fetched twice.
import fs from 'node:fs';
import os from 'node:os';
import type { MediaIntake } from './types.ts';

export function noMediaIntake(tempDir: string = os.tmpdir()): MediaIntake {
  return {
    tempDir,
    holding: async () => 'settled',
    accept: async (_waId, _variant, tempPath) => {
      fs.rmSync(tempPath, { force: true });
      return 'failed';
    },
    failed: async () => {},
    missing: async () => [],
    maxBytes: () => 0,
  };
}
