// The docker runtime: one container per slice, through dockerode (the only module that imports
// it). Every container, volume and network it creates carries com.queunir.managed=true, and it
// never touches one without that label. Crashes are seen on Docker's event stream (die, oom) and
// reported as soon as the slice's host port is closed; at daemon start the managed containers
// that run are listed for adoption.
import net from 'node:net';
import Docker from 'dockerode';
import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { sliceName, slicePort } from '../protocol.ts';
import {
  GENERATION_LABEL,
  MANAGED_LABEL,
  SLICE_LABEL,
  containerDatabaseUrl,
  containerSpec,
  networkSpec,
  volumeName,
  volumeSpec,
} from './docker-spec.ts';
import { foreignStoreError, storeOwnedBy, type RunningInstance, type RuntimeExit, type SliceLaunch, type SliceRuntime } from './runtime.ts';

export interface DockerRuntimeOptions {
  image: string;
  network: string;
  /** PostgreSQL's address as the containers see it; 'auto': the network's gateway. */
  dbHost: string;
  memoryMb: number;
  pidsLimit: number;
  shmMb: number;
  cpus: number;
  command: string[] | null;
  log: Logger;
  socketPath?: string;
}

type DockerError = Error & { statusCode?: number; json?: { message?: string } };

const PORT_CLOSE_WAIT_MS = 5_000;

/** Resolves true once nothing accepts on 127.0.0.1:port (polled), false after ms. */
async function portClosed(port: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    const accepts = await new Promise<boolean>((resolve) => {
      const socket = net.createConnection({ host: '127.0.0.1', port });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
      socket.setTimeout(250, () => done(false));
    });
    if (!accepts) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function status(err: unknown): number | undefined {
  return (err as DockerError)?.statusCode;
}

function runtimeError(what: string, err: unknown): AppError {
  const e = err as DockerError;
  const message = e?.json?.message ?? e?.message ?? String(err);
  if (/ENOENT|ECONNREFUSED/.test(message)) return new AppError('RUNTIME_UNAVAILABLE', `${what}: the Docker engine is not reachable (${message})`, { cause: err });
  return new AppError('RUNTIME_ERROR', `${what}: ${message}`, { cause: err });
}

function isManaged(labels: Record<string, string> | undefined | null): boolean {
  return labels?.[MANAGED_LABEL] === 'true';
}

/** Docker's multiplexed log stream (8-byte frame headers) as text lines. */
function demuxLogs(buf: Buffer): string[] {
  const out: string[] = [];
  let text = '';
  let i = 0;
  const framed = buf.length >= 8 && (buf[0] === 1 || buf[0] === 2) && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
  if (!framed) text = buf.toString('utf8');
  else {
    while (i + 8 <= buf.length) {
      const size = buf.readUInt32BE(i + 4);
      text += buf.subarray(i + 8, i + 8 + size).toString('utf8');
      i += 8 + size;
    }
  }
  for (const line of text.split('\n')) out.push(line);
  if (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

export class DockerRuntime implements SliceRuntime {
  readonly kind = 'docker' as const;
  private readonly docker: Docker;
  private readonly listeners: Array<(e: RuntimeExit) => void> = [];
  private events: NodeJS.ReadableStream | null = null;
  private closed = false;
  /** Containers that ran out of memory, by container id, to name the cause on their die. */
  private readonly oomKilled = new Set<string>();
  /** Instances launched or adopted, to reconcile after the event stream drops. */
  private readonly tracked = new Map<number, string>();
  private dbHost: string | null = null;

  constructor(private readonly opts: DockerRuntimeOptions) {
    this.docker = new Docker(opts.socketPath ? { socketPath: opts.socketPath } : undefined);
  }

  async init(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (err) {
      throw new AppError('RUNTIME_ERROR', `the Docker engine does not answer (${(err as Error).message}); start it (scripts/ensure-docker.sh) or use RUNTIME=process`);
    }
    await this.ensureNetwork();
    const address = await this.networkAddress();
    this.dbHost = this.opts.dbHost === 'auto' ? address.gateway : this.opts.dbHost;
    for (const r of await this.listRunning()) this.tracked.set(r.id, r.instanceId);
    await this.watchEvents();
  }

  private async ensureNetwork(): Promise<void> {
    const net = this.docker.getNetwork(this.opts.network);
    try {
      const info = await net.inspect();
      if (!isManaged(info.Labels)) {
        throw new AppError('RUNTIME_ERROR', `network ${this.opts.network} exists without the ${MANAGED_LABEL} label; not using it (remove it or set SLICE_NETWORK)`);
      }
      return;
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (status(err) !== 404) throw runtimeError(`inspecting network ${this.opts.network}`, err);
    }
    try {
      await this.docker.createNetwork(networkSpec(this.opts.network));
    } catch (err) {
      if (status(err) !== 409) throw runtimeError(`creating network ${this.opts.network}`, err);
    }
  }

  /** The bridge's gateway (the host as containers see it) and subnet. */
  async networkAddress(): Promise<{ gateway: string; subnet: string }> {
    const info = await this.docker.getNetwork(this.opts.network).inspect();
    const cfg = (info.IPAM?.Config ?? [])[0] as { Gateway?: string; Subnet?: string } | undefined;
    if (!cfg?.Gateway || !cfg.Subnet) throw new AppError('RUNTIME_ERROR', `network ${this.opts.network} has no IPv4 gateway`);
    return { gateway: cfg.Gateway, subnet: cfg.Subnet };
  }

  // ---- events ----------------------------------------------------------------------------------

  private async watchEvents(): Promise<void> {
    const stream = await this.docker.getEvents({
      filters: { type: ['container'], event: ['die', 'oom'], label: [`${MANAGED_LABEL}=true`] },
    });
    this.events = stream;
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) this.onEvent(line);
      }
    });
    const reconnect = () => {
      if (this.closed || this.events !== stream) return;
      this.events = null;
      this.opts.log.warn('docker event stream ended; reconnecting');
      setTimeout(() => void this.resubscribe(), 1000).unref();
    };
    stream.on('end', reconnect);
    stream.on('error', reconnect);
  }

  /** After a gap in the event stream: resubscribe, then report what died meanwhile. */
  private async resubscribe(): Promise<void> {
    if (this.closed) return;
    try {
      await this.watchEvents();
      for (const [id, instanceId] of [...this.tracked]) {
        if (!(await this.isRunning(id, instanceId))) {
          this.report(id, instanceId, (await this.diedOfOom(instanceId)) ? 'out of memory (while the event stream was down)' : 'exited while the event stream was down');
        }
      }
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'docker events unavailable; retrying');
      setTimeout(() => void this.resubscribe(), 2000).unref();
    }
  }

  private onEvent(line: string): void {
    let ev: { status?: string; Action?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    try {
      ev = JSON.parse(line);
    } catch {
      return;
    }
    const action = ev.Action ?? ev.status;
    const containerId = ev.Actor?.ID ?? ev.id;
    const attrs = ev.Actor?.Attributes ?? {};
    if (!containerId || attrs[MANAGED_LABEL] !== 'true') return;
    const id = Number(attrs[SLICE_LABEL]);
    if (!Number.isInteger(id)) return;
    if (action === 'oom') {
      this.oomKilled.add(containerId);
      return;
    }
    if (action === 'die') {
      const code = attrs.exitCode;
      const sawOom = this.oomKilled.delete(containerId);
      // Docker takes its port proxy down a moment after the die event: an exit reported (STOPPED,
      // EXITED) is one whose port no longer answers, as with the process runtime.
      void Promise.all([portClosed(slicePort(id), PORT_CLOSE_WAIT_MS), this.diedOfOom(containerId)]).then(([closed, oom]) => {
        if (!closed) this.opts.log.warn({ slice: id, port: slicePort(id) }, `the port still accepts ${PORT_CLOSE_WAIT_MS} ms after the container died; reporting the exit anyway`);
        this.report(id, containerId, sawOom || oom ? `out of memory (exit code ${code})` : `exit code ${code}`);
      });
    }
  }

  /**
   * Whether the kernel's OOM killer ended the container, by Docker's own record (State.OOMKilled).
   * The 'oom' event alone is not enough: it may come after the die, or not at all to this
   * subscriber (the stream was down, the engine restarted), and the exit code is then a plain 137.
   */
  private async diedOfOom(containerId: string): Promise<boolean> {
    try {
      const info = await this.docker.getContainer(containerId).inspect();
      return info.State.OOMKilled === true;
    } catch {
      return false; // removed meanwhile: nothing to tell
    }
  }

  private report(id: number, instanceId: string, reason: string): void {
    if (this.tracked.get(id) === instanceId) this.tracked.delete(id);
    for (const l of this.listeners) l({ id, instanceId, reason });
  }

  // ---- slices ----------------------------------------------------------------------------------

  /** The container of slice N, or null; refuses to go near one without our label. */
  private async managedContainer(id: number): Promise<{ container: Docker.Container; info: Docker.ContainerInspectInfo } | null> {
    const container = this.docker.getContainer(sliceName(id));
    let info: Docker.ContainerInspectInfo;
    try {
      info = await container.inspect();
    } catch (err) {
      if (status(err) === 404) return null;
      throw runtimeError(`inspecting ${sliceName(id)}`, err);
    }
    if (!isManaged(info.Config.Labels)) {
      throw new AppError('RUNTIME_ERROR', `a container named ${sliceName(id)} exists without the ${MANAGED_LABEL} label; not touching it`);
    }
    return { container, info };
  }

  async prepare(id: number, storeGeneration: string): Promise<void> {
    const volume = this.docker.getVolume(volumeName(id));
    try {
      const info = await volume.inspect();
      if (!isManaged(info.Labels)) throw new AppError('RUNTIME_ERROR', `volume ${volumeName(id)} exists without the ${MANAGED_LABEL} label; not using it`);
      const found = info.Labels?.[GENERATION_LABEL] ?? null;
      // Labels are fixed at creation: a volume is never relabelled, only used or refused.
      if (storeOwnedBy({ generation: found, empty: false }, storeGeneration)) return;
      this.opts.log.warn({ slice: id, volume: volumeName(id) }, 'session volume of another slice generation: refused');
      throw foreignStoreError(id, `volume ${volumeName(id)}`, found ? `generation ${found}` : `no ${GENERATION_LABEL} label`, `docker volume rm ${volumeName(id)}`);
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (status(err) !== 404) throw runtimeError(`inspecting volume ${volumeName(id)}`, err);
    }
    try {
      await this.docker.createVolume(volumeSpec(id, storeGeneration));
    } catch (err) {
      throw runtimeError(`creating volume ${volumeName(id)}`, err);
    }
  }

  async start(launch: SliceLaunch): Promise<string> {
    const { id } = launch;
    await this.removeContainer(id); // a dead instance left from before (logs kept until now)
    await this.prepare(id, launch.storeGeneration);
    const spec = containerSpec({
      id,
      image: this.opts.image,
      network: this.opts.network,
      memoryMb: this.opts.memoryMb,
      pidsLimit: this.opts.pidsLimit,
      shmMb: this.opts.shmMb,
      cpus: this.opts.cpus,
      command: this.opts.command,
      env: {
        ...launch.env,
        DATABASE_URL: containerDatabaseUrl(launch.databaseUrl, this.dbHost ?? '127.0.0.1'),
        SLICE_ID: String(id),
        SLICE_TOKEN: launch.token,
      },
    });
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(spec);
    } catch (err) {
      if (status(err) === 404) throw new AppError('RUNTIME_ERROR', `image ${this.opts.image} not found (build it: scripts/build-slice-image.sh)`, { cause: err });
      throw runtimeError(`creating ${sliceName(id)}`, err);
    }
    try {
      await container.start();
    } catch (err) {
      // 304: already started (a retried request); anything else: the launch failed.
      if (status(err) !== 304) {
        await container.remove({ force: true }).catch(() => {});
        throw runtimeError(`starting ${sliceName(id)}`, err);
      }
    }
    this.tracked.set(id, container.id);
    return container.id;
  }

  async signal(id: number, how: 'terminate' | 'kill'): Promise<void> {
    const found = await this.managedContainer(id);
    if (!found || !found.info.State.Running) return;
    try {
      await found.container.kill({ signal: how === 'kill' ? 'SIGKILL' : 'SIGTERM' });
    } catch (err) {
      // 304/409: not running any more; 404: gone. Either way there is nothing to signal.
      if (status(err) === 304 || status(err) === 409 || status(err) === 404) return;
      throw runtimeError(`signalling ${sliceName(id)}`, err);
    }
  }

  async listRunning(): Promise<RunningInstance[]> {
    const list = await this.docker.listContainers({ filters: { label: [`${MANAGED_LABEL}=true`], status: ['running'] } });
    const out: RunningInstance[] = [];
    for (const c of list) {
      const id = Number(c.Labels?.[SLICE_LABEL]);
      if (Number.isInteger(id) && c.Names.includes(`/${sliceName(id)}`)) out.push({ id, instanceId: c.Id });
    }
    return out;
  }

  async isRunning(id: number, instanceId: string): Promise<boolean> {
    const found = await this.managedContainer(id).catch(() => null);
    return !!found && found.info.Id === instanceId && found.info.State.Running === true;
  }

  async memoryBytes(id: number): Promise<number | null> {
    const found = await this.managedContainer(id).catch(() => null);
    if (!found || !found.info.State.Running) return null;
    try {
      const stats = (await found.container.stats({ stream: false, 'one-shot': true })) as { memory_stats?: { usage?: number; stats?: Record<string, number> } };
      const usage = stats.memory_stats?.usage;
      if (typeof usage !== 'number') return null;
      // As `docker stats` shows it: page cache that can be dropped is not counted.
      const inactive = stats.memory_stats?.stats?.inactive_file ?? stats.memory_stats?.stats?.total_inactive_file ?? 0;
      return Math.max(0, usage - inactive);
    } catch {
      return null;
    }
  }

  async tailLog(id: number, lines: number): Promise<string[]> {
    const found = await this.managedContainer(id);
    if (!found) return [];
    try {
      const buf = (await found.container.logs({ stdout: true, stderr: true, follow: false, tail: lines })) as unknown as Buffer;
      return demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))).slice(-lines);
    } catch (err) {
      throw runtimeError(`reading the logs of ${sliceName(id)}`, err);
    }
  }

  private async removeContainer(id: number): Promise<void> {
    const found = await this.managedContainer(id);
    if (!found) return;
    this.tracked.delete(id);
    try {
      await found.container.remove({ force: true });
    } catch (err) {
      // 404: gone meanwhile; 409: removal already in progress.
      if (status(err) !== 404 && status(err) !== 409) throw runtimeError(`removing ${sliceName(id)}`, err);
    }
  }

  async remove(id: number): Promise<void> {
    await this.removeContainer(id);
  }

  async purge(id: number): Promise<void> {
    const volume = this.docker.getVolume(volumeName(id));
    let info: { Labels?: Record<string, string> | null };
    try {
      info = await volume.inspect();
    } catch (err) {
      if (status(err) === 404) return;
      throw runtimeError(`inspecting volume ${volumeName(id)}`, err);
    }
    if (!isManaged(info.Labels)) throw new AppError('RUNTIME_ERROR', `volume ${volumeName(id)} has no ${MANAGED_LABEL} label; not removing it`);
    for (let attempt = 0; ; attempt++) {
      try {
        await volume.remove();
        return;
      } catch (err) {
        if (status(err) === 404) return;
        // 409: still in use by a container being removed; give it a moment.
        if (status(err) === 409 && attempt < 20) {
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        throw runtimeError(`removing volume ${volumeName(id)}`, err);
      }
    }
  }

  async remnants(id: number): Promise<string[]> {
    const name = sliceName(id);
    const bySlice = { label: [`${SLICE_LABEL}=${id}`] };
    try {
      // By label and by exact name (Docker's name filter matches substrings: wank-slice-1 finds wank-slice-12).
      const [labelled, named, labelledVolumes, namedVolumes] = await Promise.all([
        this.docker.listContainers({ all: true, filters: bySlice }),
        this.docker.listContainers({ all: true, filters: { name: [name] } }),
        this.docker.listVolumes({ filters: bySlice }),
        this.docker.listVolumes({ filters: { name: [volumeName(id)] } }),
      ]);
      const containers = new Map<string, string>();
      for (const c of labelled) containers.set(c.Id, c.Names[0]?.replace(/^\//, '') ?? c.Id);
      for (const c of named) if (c.Names.includes(`/${name}`)) containers.set(c.Id, name);
      const volumes = new Set<string>();
      for (const v of labelledVolumes.Volumes ?? []) volumes.add(v.Name);
      for (const v of namedVolumes.Volumes ?? []) if (v.Name === volumeName(id)) volumes.add(v.Name);
      return [...[...containers.values()].map((n) => `container ${n}`), ...[...volumes].map((v) => `volume ${v}`)];
    } catch (err) {
      throw runtimeError(`looking for what is left of ${name}`, err);
    }
  }

  onExit(listener: (exit: RuntimeExit) => void): void {
    this.listeners.push(listener);
  }

  baseUrl(id: number): string {
    return `http://127.0.0.1:${slicePort(id)}`;
  }

  /** The daemon goes; the containers stay (they are adopted at the next start). */
  async close(): Promise<void> {
    this.closed = true;
    const s = this.events as (NodeJS.ReadableStream & { destroy?: () => void }) | null;
    this.events = null;
    s?.destroy?.();
    this.listeners.length = 0;
  }
}
