// What the registry needs from a place to run slices. Two implementations: docker (production)
// and process (children of the daemon). The registry owns every decision (restarts, backoff,
// health); a runtime only launches, signals, watches and reports.
import { AppError } from '../../lib/errors.ts';
import { LEGACY_GENERATION } from '../slices/records.ts';

/** The environment every slice gets, whatever the runtime; the runtime adds host, port, auth dir. */
export interface SliceLaunch {
  id: number;
  token: string;
  /** The session store's generation this slice owns (records.ts); the runtime refuses another. */
  storeGeneration: string;
  /** Admin-side view of the slice role's URL (host as the daemon sees it; docker rewrites it). */
  databaseUrl: string;
  /** WA_MODE, SIM_* and the like. */
  env: Record<string, string>;
}

/** What a runtime found where a slice's session store lives. */
export interface FoundStore {
  /** The generation the store is marked with (volume label or marker file); null when unmarked. */
  generation: string | null;
  /** Holds nothing at all, so nobody's login (a volume's contents are not looked at: false). */
  empty: boolean;
}

/**
 * Whether a slice of this generation may use the store found: its own, a store from before
 * generations for a legacy record, or one that holds nothing.
 */
export function storeOwnedBy(store: FoundStore, storeGeneration: string): boolean {
  if (store.generation === storeGeneration) return true;
  if (store.generation === null && storeGeneration === LEGACY_GENERATION) return true;
  return store.empty;
}

/**
 * A session store that is not this slice's: refused, with the operator's way out. `purge` is the
 * command that deletes just that store (the runtime knows where it lives).
 */
export function foreignStoreError(id: number, store: string, found: string, purge: string): AppError {
  return new AppError(
    'SESSION_STORE_NOT_OWNED',
    `slice ${id}: the WhatsApp session store ${store} is not this slice's (${found}); it may hold another customer's login, so it is not used. ` +
      `If nobody needs it, delete it (${purge}) or run "slicectl remove ${id} --purge" (which also drops slice_${id}'s schema), then create the slice again.`,
  );
}

export interface RuntimeExit {
  id: number;
  /** The instance that ended: a container id, or a pid. Exits of older instances are ignored. */
  instanceId: string;
  /** "exit code 1", "killed by SIGKILL", "out of memory" … */
  reason: string;
}

export interface RunningInstance {
  id: number;
  instanceId: string;
}

export interface SliceRuntime {
  readonly kind: 'docker' | 'process';
  /** Prepare shared things (the docker network) and clean leftovers. */
  init(): Promise<void>;
  /**
   * Called by slice.create: the WhatsApp session store (volume or directory), made for this
   * generation when missing. One that exists for another generation (or unmarked, unless the
   * generation is LEGACY_GENERATION) belonged to someone else: SESSION_STORE_NOT_OWNED.
   */
  prepare(id: number, storeGeneration: string): Promise<void>;
  /** Launch a new instance (replacing a dead one). Resolves with its id once launched. */
  start(launch: SliceLaunch): Promise<string>;
  /** SIGTERM (terminate) or SIGKILL (kill) the current instance; no error when none runs. */
  signal(id: number, how: 'terminate' | 'kill'): Promise<void>;
  /** The instances running now (for adoption at daemon start). */
  listRunning(): Promise<RunningInstance[]>;
  /** Whether this instance still runs (a check after adoption or a missed event). */
  isRunning(id: number, instanceId: string): Promise<boolean>;
  /** Memory in use by the slice (container cgroup, or the process group's RSS); null if unknown. */
  memoryBytes(id: number): Promise<number | null>;
  /** The last lines of output. */
  tailLog(id: number, lines: number): Promise<string[]>;
  /** Forget the slice's instance (remove the container); keeps the session store. */
  remove(id: number): Promise<void>;
  /** Delete the session store (volume or directory). */
  purge(id: number): Promise<void>;
  /**
   * What of slice N exists on this runtime's side, whoever made it (container, volume, directory):
   * one readable line each; [] when nothing. The proof after a purge that nothing was left.
   */
  remnants(id: number): Promise<string[]>;
  /** Exits as they happen (docker events die/oom, child exit). */
  onExit(listener: (exit: RuntimeExit) => void): void;
  /** Base URL at which the daemon reaches the slice's HTTP API. */
  baseUrl(id: number): string;
  /** Daemon shutdown: docker keeps containers running; process stops its children. */
  close(): Promise<void>;
}
