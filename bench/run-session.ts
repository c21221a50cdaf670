// One simulated WhatsApp session on its own, for benchmarks and by hand:
//   tsx bench/run-session.ts <authDir> [scenario.json]
// (not a *.bench.ts: bench/run.ts does not run it; slice-memory.bench.ts starts one per session)
// The phone scans at once; the sink only counts. Prints "READY <ms>" and "SYNCED <chats> <messages>"
// and then stays idle until SIGTERM/SIGINT.
import { noMediaIntake } from '../slice/wa/no-media-intake.ts';
import pino from 'pino';
import { createWaSession } from '../slice/wa/index.ts';
import type { WaSink } from '../slice/wa/types.ts';

const [authDir, scenario] = process.argv.slice(2);
if (!authDir) {
  process.stderr.write('usage: run-session.ts <authDir> [scenario.json]\n');
  process.exit(2);
}
const chats = new Set<string>();
const messages = new Set<string>();
const sink: WaSink = {
  status: () => {},
  chats: async (c) => c.forEach((x) => chats.add(x.waId)),
  messages: async (m) => m.forEach((x) => messages.add(x.waId)),
  contacts: async () => {},
  loadSyncCursor: async () => null,
  saveSyncCursor: async () => {},
  media: noMediaIntake(),
};
const session = createWaSession({
  mode: 'sim',
  authDir,
  chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium',
  simScenario: scenario,
  simScanAfterMs: 100,
  sink,
  log: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
});
const t0 = Date.now();
await session.start();
while (session.status().state !== 'READY') await new Promise((r) => setTimeout(r, 50));
process.stdout.write(`READY ${Date.now() - t0}\n`);
await session.synced();
process.stdout.write(`SYNCED ${chats.size} ${messages.size} ${(await session.health()).browserPid}\n`);
const bye = async () => {
  await session.stop();
  process.exit(0);
};
process.on('SIGTERM', bye);
process.on('SIGINT', bye);
