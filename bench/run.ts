// `npm run bench`: runs every bench/*.bench.ts one after another (never in parallel: they measure),
// each in its own process, and ends with the figures they printed, together, with the machine.
// `npm run bench -- gateway slice-store` runs only the named ones.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

const machine = `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, node ${process.version}`;
const figures: string[] = [];
let failed = 0;

for (const file of benches) {
  process.stdout.write(`\n== ${file}\n`);
  const started = Date.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(dir, file)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      for (const line of chunk.toString().split('\n')) if (/=\S/.test(line) && !line.startsWith('#')) figures.push(line.trim());
    });
    child.on('exit', (c) => resolve(c ?? 1));
  });
  process.stdout.write(`== ${file}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  if (code !== 0) failed++;
}

process.stdout.write(`\nfigures (${machine}):\n${figures.map((f) => `  ${f}`).join('\n')}\n`);
process.exit(failed > 0 ? 1 : 0);
