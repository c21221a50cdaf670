// The docker runtime's decisions as data: pure functions from a slice id and the daemon's settings
// to the options dockerode sends to the Engine API. Tested field by field.
import { sliceName, slicePort } from '../protocol.ts';

export const MANAGED_LABEL = 'com.queunir.managed';
export const SLICE_LABEL = 'com.queunir.slice';
/** On a session volume: the generation of the slice that owns it (records.ts). */
export const GENERATION_LABEL = 'com.queunir.generation';
/** Where the session volume is mounted inside the container (the image's WA_AUTH_DIR). */
const CONTAINER_AUTH_DIR = '/data/auth';
const CONTAINER_PORT = 3000;
/** The image's unprivileged slice user (slice/Dockerfile, scripts/build-slice-image.sh). Named in
 *  the spec so that an image whose USER line is missing or wrong still never runs as root. */
const CONTAINER_USER = '10001:10001';

export interface ContainerSpecInput {
  id: number;
  image: string;
  network: string;
  memoryMb: number;
  pidsLimit: number;
  shmMb: number;
  /** CPU share per slice (SLICE_CPUS): 1 = one core's worth of time. */
  cpus: number;
  /** The slice's whole environment, already with the DB host as containers see it. */
  env: Record<string, string>;
  /** Overrides the image's command (a stand-in slice in tests). */
  command: string[] | null;
}

export function volumeName(id: number): string {
  return `${sliceName(id)}-auth`;
}

export function managedLabels(id?: number): Record<string, string> {
  return id === undefined ? { [MANAGED_LABEL]: 'true' } : { [MANAGED_LABEL]: 'true', [SLICE_LABEL]: String(id) };
}

/**
 * The slices' seccomp profile: everything a browser needs, including the user namespaces that
 * Chromium's own sandbox is built on (Docker's default profile refuses those without
 * CAP_SYS_ADMIN, which would leave Chromium running with --no-sandbox), and none of the calls that
 * change the kernel, the clock, mounts, keys or other processes' memory. Calls of another
 * architecture than the host's are refused by the filter itself.
 */
const DENIED_SYSCALLS = [
  'acct', 'add_key', 'bpf', 'clock_adjtime', 'clock_settime', 'create_module', 'delete_module', 'finit_module',
  'fsconfig', 'fsmount', 'fsopen', 'fspick', 'get_kernel_syms', 'init_module', 'io_uring_enter', 'io_uring_register',
  'io_uring_setup', 'ioperm', 'iopl', 'kcmp', 'kexec_file_load', 'kexec_load', 'keyctl', 'lookup_dcookie', 'mount',
  'move_mount', 'name_to_handle_at', 'nfsservctl', 'open_by_handle_at', 'open_tree', 'perf_event_open', 'pivot_root',
  'process_vm_readv', 'process_vm_writev', 'query_module', 'quotactl', 'reboot', 'request_key', 'setdomainname',
  'sethostname', 'settimeofday', 'swapoff', 'swapon', 'syslog', 'sysfs', 'umount2', 'uselib', 'userfaultfd', 'ustat',
  'vm86', 'vm86old',
] as const;

export function sliceSeccompProfile() {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: [...DENIED_SYSCALLS], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  };
}

/** Options for POST /containers/create (dockerode's createContainer). */
export function containerSpec(input: ContainerSpecInput) {
  const { id } = input;
  // Chromium's own sandbox on: the seccomp profile below lets it make its namespaces.
  const env = { ...input.env, SLICE_PORT: String(CONTAINER_PORT), SLICE_HOST: '0.0.0.0', WA_AUTH_DIR: CONTAINER_AUTH_DIR, CHROMIUM_SANDBOX: input.env.CHROMIUM_SANDBOX ?? 'true' };
  return {
    name: sliceName(id),
    Image: input.image,
    User: CONTAINER_USER,
    ...(input.command ? { Cmd: input.command } : {}),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: managedLabels(id),
    ExposedPorts: { [`${CONTAINER_PORT}/tcp`]: {} },
    StopSignal: 'SIGTERM',
    HostConfig: {
      // Reachable from this host only: the gateway proxies, nothing else may.
      PortBindings: { [`${CONTAINER_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(slicePort(id)) }] },
      Mounts: [{ Type: 'volume' as const, Source: volumeName(id), Target: CONTAINER_AUTH_DIR, ReadOnly: false }],
      // The supervisor owns restarts (state machine, backoff, FATAL).
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      Memory: input.memoryMb * 1024 * 1024,
      MemorySwap: input.memoryMb * 1024 * 1024, // no swap beyond the limit
      PidsLimit: input.pidsLimit,
      // One busy slice (a Chromium render loop) must not starve the others on the host.
      NanoCpus: Math.round(input.cpus * 1e9),
      CapDrop: ['ALL'],
      // The Engine API takes the profile itself after seccomp= (the CLI reads a file into it).
      SecurityOpt: ['no-new-privileges', `seccomp=${JSON.stringify(sliceSeccompProfile())}`],
      ReadonlyRootfs: true,
      // The only writable place besides the session volume: data only, nothing dropped there runs.
      Tmpfs: { '/tmp': 'rw,noexec,nosuid,nodev,size=256m' },
      // Chromium keeps shared memory in /dev/shm; Docker's 64 MB default crashes tabs.
      ShmSize: input.shmMb * 1024 * 1024,
      // tini-like init as PID 1: reaps Chromium's zombies, forwards SIGTERM.
      Init: true,
      NetworkMode: input.network,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
  };
}

/** Options for POST /networks/create: a bridge of its own, no traffic between slices. */
export function networkSpec(name: string) {
  return {
    Name: name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Labels: managedLabels(),
    Options: { 'com.docker.network.bridge.enable_icc': 'false' },
  };
}

/** Options for POST /volumes/create. */
export function volumeSpec(id: number, storeGeneration: string) {
  return { Name: volumeName(id), Labels: { ...managedLabels(id), [GENERATION_LABEL]: storeGeneration } };
}

/** The slice's DATABASE_URL as a container sees it: same role, password, port, database; other host. */
export function containerDatabaseUrl(url: string, dbHost: string): string {
  const u = new URL(url);
  u.hostname = dbHost;
  return u.toString();
}
