// The top of every program: an AppError (a configuration or environment problem) prints one line
// naming the cause and exits with its code; anything else is a bug and keeps its stack.
import { exitCodeOf, isAppError } from './errors.ts';

export function runMain(program: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (isAppError(err) && err.kind !== 'Internal') {
      process.stderr.write(`${program}: ${err.message}\n`);
    } else {
      process.stderr.write(`${program}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(exitCodeOf(err) || 1);
  });
}
