// Fills the filesystem a file is on, to the last block, for the disk-full fault tests: the file is
// written until the kernel refuses (ENOSPC), and removing it gives the space back.
import fs from 'node:fs';

/** Writes `file` until the filesystem is full; the errno code that stopped it (ENOSPC expected). */
export function fillDisk(file: string): string | undefined {
  const fd = fs.openSync(file, 'w');
  try {
    for (const chunk = Buffer.alloc(64 * 1024); ; ) fs.writeSync(fd, chunk);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  } finally {
    fs.closeSync(fd);
  }
}
