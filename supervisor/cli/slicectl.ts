// slicectl: the operator's CLI over the supervisor socket, in the manner of supervisorctl.
//   slicectl [-s PATH] [--json] <command> [args]
// Exit codes as supervisorctl's: 0 ok, 1 failure, 2 bad arguments, 3 not running, 4 no such
// slice, 7 cannot connect. Errors are one line on stderr.
import { AppError, EXIT, exitCodeOf, isAppError } from '../../lib/errors.ts';
import { SupervisorClient } from '../client.ts';
import { DEFAULT_SOCKET, STOPPED_STATES, type SliceInfo } from '../protocol.ts';

const USAGE = `usage: slicectl [-s PATH] [--json] <command> [args]

commands:
  status [N…|all]     state of the given slices (default: all)
  start N…|all        start slices (also leaves FATAL)
  stop N…|all         stop slices
  restart N…|all      stop then start slices
  create N            provision slice N; prints its token the first time only
  remove N [--purge]  forget slice N; --purge also drops its schema, role and session volume
  health N            ask slice N's /health, with state and memory
  tail [-f] [-n L] N  the last L (100) lines of slice N's output; -f follows
  methods             the supervisor's methods
  version             the supervisor's version and runtime

options:
  -s, --socket PATH   the supervisor socket (SUPERVISOR_SOCKET, default ${DEFAULT_SOCKET})
  --json              print JSON instead of a table
  -h, --help          this text`;

class UsageError extends Error {}

interface Parsed {
  socket: string;
  json: boolean;
  command: string;
  args: string[];
  purge: boolean;
  follow: boolean;
  lines: number;
}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Parsed | 'help' {
  const out: Parsed = { socket: env.SUPERVISOR_SOCKET || DEFAULT_SOCKET, json: false, command: '', args: [], purge: false, follow: false, lines: 100 };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return 'help';
    else if (a === '--json') out.json = true;
    else if (a === '-s' || a === '--socket') {
      const v = argv[++i];
      if (!v) throw new UsageError(`${a} needs a path`);
      out.socket = v;
    } else if (a.startsWith('--socket=')) out.socket = a.slice(9);
    else if (a === '--purge') out.purge = true;
    else if (a === '-f' || a === '--follow') out.follow = true;
    else if (a === '-n' || a === '--lines') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1 || v > 10000) throw new UsageError(`${a} needs a number of lines 1..10000`);
      out.lines = v;
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
    else rest.push(a);
  }
  if (rest.length === 0) throw new UsageError('no command given');
  out.command = rest[0]!;
  out.args = rest.slice(1);
  return out;
}

function ids(args: string[], opts: { min: number; max?: number; allowAll?: boolean }): number[] | 'all' {
  if (opts.allowAll && (args.length === 0 || (args.length === 1 && args[0] === 'all'))) return 'all';
  if (args.length < opts.min) throw new UsageError(`expected ${opts.max === 1 ? 'a slice number' : 'slice numbers'}`);
  if (opts.max !== undefined && args.length > opts.max) throw new UsageError(`expected at most ${opts.max} slice number${opts.max === 1 ? '' : 's'}`);
  return args.map((a) => {
    if (!/^\d+$/.test(a) || Number(a) < 1) throw new UsageError(`not a slice number: ${a}`);
    return Number(a);
  });
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

function infoRows(list: SliceInfo[]): string[][] {
  return [
    ['ID', 'NAME', 'STATE', 'PORT', 'SINCE', 'RESTARTS', 'LAST ERROR'],
    ...list.map((i) => [String(i.id), i.name, i.state, String(i.port), ago(i.since), String(i.restarts), i.lastError ?? '-']),
  ];
}

type Out = (text: string) => void;

const PAST: Record<string, string> = { start: 'started', stop: 'stopped', restart: 'restarted' };

/** Runs one command; returns the exit code. Exported for tests. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = (s) => process.stdout.write(s + '\n'), err: Out = (s) => process.stderr.write(s + '\n')): Promise<number> {
  let p: Parsed | 'help';
  try {
    p = parseArgs(argv, env);
  } catch (e) {
    err(`slicectl: ${(e as Error).message}`);
    err(USAGE.split('\n')[0]!);
    return EXIT.BAD_ARGUMENTS;
  }
  if (p === 'help') {
    out(USAGE);
    return EXIT.OK;
  }
  const q: Parsed = p;
  const client = new SupervisorClient({ socketPath: q.socket, timeoutMs: 120_000 });
  const print = (value: unknown, text: () => string) => out(q.json ? JSON.stringify(value, null, 2) : text());
  let code: number = EXIT.OK;
  /** Per-slice errors print and set the exit code; the other slices still go. */
  const each = async <T>(list: number[], fn: (id: number) => Promise<T>): Promise<Array<{ id: number; value?: T; error?: AppError }>> => {
    const results: Array<{ id: number; value?: T; error?: AppError }> = [];
    for (const id of list) {
      try {
        results.push({ id, value: await fn(id) });
      } catch (e) {
        if (!isAppError(e) || e.code === 'SUPERVISOR_UNAVAILABLE' || e.code === 'SUPERVISOR_ACCESS_DENIED') throw e;
        results.push({ id, error: e });
        code = code === EXIT.OK ? exitCodeOf(e) : code;
      }
    }
    return results;
  };
  try {
    switch (p.command) {
      case 'status': {
        const which = ids(p.args, { min: 0, allowAll: true });
        let list: SliceInfo[];
        if (which === 'all') list = await client.call('slice.list', {});
        else {
          const results = await each(which, (id) => client.call('slice.getInfo', { id }));
          for (const r of results) if (r.error) err(`slicectl: ${r.id}: ${r.error.message}`);
          list = results.flatMap((r) => (r.value ? [r.value] : []));
        }
        print(list, () => (list.length ? table(infoRows(list)) : 'no slices'));
        if (code === EXIT.OK) code = statusExitCode(list);
        break;
      }
      case 'start':
      case 'stop':
      case 'restart': {
        if (p.args.length === 0) throw new UsageError(`expected slice numbers or all`);
        const chosen = ids(p.args, { min: 1, allowAll: true });
        const which = chosen === 'all' ? (await client.call('slice.list', {})).map((i) => i.id) : chosen;
        const method = `slice.${p.command}` as 'slice.start' | 'slice.stop' | 'slice.restart';
        const results = await each(which, (id) => client.call(method, { id }));
        print(results.map((r) => r.value ?? { id: r.id, error: r.error?.toJSON() }), () =>
          results.map((r) => (r.value ? `${r.id}: ${PAST[q.command]} → ${r.value.state}` : `${r.id}: ERROR ${r.error!.message}`)).join('\n'),
        );
        break;
      }
      case 'create': {
        const [id] = ids(p.args, { min: 1, max: 1 }) as number[];
        const r = await client.call('slice.create', { id: id! });
        print(r, () =>
          r.token
            ? `${r.name} created (port ${r.port})\ntoken: ${r.token}\n(the token is shown this once; the gateway stores it)`
            : `${r.name} already exists (${r.state}); its token is not shown again`,
        );
        break;
      }
      case 'remove': {
        const [id] = ids(p.args, { min: 1, max: 1 }) as number[];
        await client.call('slice.remove', p.purge ? { id: id!, purgeData: true } : { id: id! });
        print({ id, removed: true, purged: q.purge }, () => `${id}: removed${q.purge ? ' (schema, role and session volume dropped)' : ''}`);
        break;
      }
      case 'health': {
        const [id] = ids(p.args, { min: 1, max: 1 }) as number[];
        const h = await client.call('slice.health', { id: id! });
        print(h, () =>
          table([
            ['OK', 'STATE', 'WA', 'MEMORY', 'CHECKED', 'DETAIL'],
            [h.ok ? 'yes' : 'no', h.state, h.wa?.state ?? '-', h.rssBytes === null ? '-' : `${Math.round(h.rssBytes / 1048576)} MB`, h.checkedAt, h.detail],
          ]),
        );
        if (!h.ok) code = h.state === 'RUNNING' ? EXIT.FAILURE : EXIT.NOT_RUNNING;
        break;
      }
      case 'tail': {
        const [id] = ids(p.args, { min: 1, max: 1 }) as number[];
        let prev = (await client.call('slice.tailLog', { id: id!, lines: p.lines })).lines;
        if (p.json && !p.follow) out(JSON.stringify({ lines: prev }, null, 2));
        else for (const l of prev) out(l);
        if (!p.follow) break;
        for (;;) {
          await new Promise((r) => setTimeout(r, 1000));
          const next = (await client.call('slice.tailLog', { id: id!, lines: 1000 })).lines;
          for (const l of next.slice(overlap(prev, next))) out(l);
          prev = next;
        }
      }
      case 'methods': {
        const d = await client.call('system.describe', {});
        print(d, () => table([['METHOD', 'DOC'], ...Object.entries(d).map(([m, v]) => [m, v.doc])]));
        break;
      }
      case 'version': {
        const v = await client.call('system.version', {});
        print(v, () => `supervisor ${v.version} (protocol ${v.protocol}, runtime ${v.runtime})`);
        break;
      }
      default:
        err(`slicectl: unknown command ${p.command}`);
        err(USAGE.split('\n')[0]!);
        return EXIT.BAD_ARGUMENTS;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`slicectl: ${e.message}`);
      return EXIT.BAD_ARGUMENTS;
    }
    if (isAppError(e)) {
      err(`slicectl: ${e.message}`);
      return exitCodeOf(e);
    }
    err(`slicectl: ${(e as Error)?.stack ?? String(e)}`);
    return EXIT.FAILURE;
  } finally {
    await client.close();
  }
  return code;
}

/** supervisorctl's rule: status exits 3 when any slice is in a stopped state (BACKOFF and STARTING count as running). */
export function statusExitCode(list: Pick<SliceInfo, 'state'>[]): number {
  return list.some((i) => STOPPED_STATES.includes(i.state)) ? EXIT.NOT_RUNNING : EXIT.OK;
}

/** How many leading lines of `next` were already printed as the trailing lines of `prev`. */
export function overlap(prev: string[], next: string[]): number {
  for (let k = Math.min(prev.length, next.length); k > 0; k--) {
    let same = true;
    for (let i = 0; i < k && same; i++) same = prev[prev.length - k + i] === next[i];
    if (same) return k;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  run(process.argv.slice(2)).then((code) => process.exit(code));
}
