// Where a webhook may be sent. A customer names the URL, so without a guard the gateway would post
// to whatever it can reach from inside: loopback services, the cloud's metadata address
// (169.254.169.254), the private network. Refused: loopback, link-local, private (RFC 1918, CGNAT
// 100.64/10, fc00::/7), unspecified, multicast, broadcast and reserved addresses, unless
// WEBHOOK_ALLOW_HOSTS admits the host by name or its address by CIDR.
//
// Checked twice: when an endpoint is created or changed (the name resolved now, so the customer
// hears at once why), and at every connection on the address the socket actually connected to,
// because a name can resolve to a public address at creation and to a private one later (DNS
// rebinding). The second check is the one that protects; the first is for the error message.
import dns from 'node:dns/promises';
import net from 'node:net';
import { Agent, buildConnector } from 'undici';
import { AppError } from '../../lib/errors.ts';

const REFUSED_V4: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved or broadcast'],
];
const REFUSED_V6: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
  ['64:ff9b::', 96, 'translated (NAT64)'],
  ['2001:db8::', 32, 'reserved'],
];

const refused: { list: net.BlockList; kind: string }[] = [
  ...REFUSED_V4.map(([a, p, kind]) => ({ list: blockOf(a, p, 'ipv4'), kind })),
  ...REFUSED_V6.map(([a, p, kind]) => ({ list: blockOf(a, p, 'ipv6'), kind })),
];

function blockOf(address: string, prefix: number, family: 'ipv4' | 'ipv6'): net.BlockList {
  const list = new net.BlockList();
  list.addSubnet(address, prefix, family);
  return list;
}

/** ::ffff:a.b.c.d (in either spelling) is an IPv4 address and is judged as one. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  if (net.isIPv4(address)) return { address, family: 'ipv4' };
  const m = /^(?:0{0,4}:){0,5}:?ffff:(.+)$/i.exec(address);
  if (m) {
    const tail = m[1]!;
    if (net.isIPv4(tail)) return { address: tail, family: 'ipv4' };
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(tail);
    if (hex) {
      const hi = parseInt(hex[1]!, 16);
      const lo = parseInt(hex[2]!, 16);
      return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 'ipv4' };
    }
  }
  return { address, family: 'ipv6' };
}

/** WEBHOOK_ALLOW_HOSTS parsed: host names, and addresses/CIDRs. */
export interface AllowList {
  hosts: ReadonlySet<string>;
  addresses: net.BlockList;
  empty: boolean;
}

/** "a.example, 127.0.0.1, 10.1.0.0/16, ::1": names and addresses or CIDRs, comma-separated. A bad CIDR throws naming it. */
export function parseAllowList(value: string | undefined): AllowList {
  const hosts = new Set<string>();
  const addresses = new net.BlockList();
  let empty = true;
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (!entry) continue;
    empty = false;
    const [addr, prefix, extra] = entry.split('/');
    if (net.isIP(addr!)) {
      const family = net.isIPv4(addr!) ? 'ipv4' : 'ipv6';
      const max = family === 'ipv4' ? 32 : 128;
      const bits = prefix === undefined ? max : Number(prefix);
      if (extra !== undefined || !Number.isInteger(bits) || bits < 0 || bits > max || (prefix !== undefined && !/^\d+$/.test(prefix))) {
        throw new AppError('CONFIG_INVALID', `WEBHOOK_ALLOW_HOSTS: "${raw.trim()}" is not an address or a CIDR (${family} prefix 0–${max})`);
      }
      addresses.addSubnet(addr!, bits, family);
    } else if (prefix !== undefined || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(entry)) {
      throw new AppError('CONFIG_INVALID', `WEBHOOK_ALLOW_HOSTS: "${raw.trim()}" is neither a host name nor an address or CIDR`);
    } else {
      hosts.add(entry);
    }
  }
  return { hosts, addresses, empty };
}

/** Why an address may not be connected to (e.g. "loopback"), or null when it may. */
export function refusedAddressKind(address: string, allow: AllowList): string | null {
  const { address: a, family } = unmapped(address.replace(/^\[(.*)\]$/, '$1'));
  if (!net.isIP(a)) return 'not an IP address';
  if (allow.addresses.check(a, family)) return null;
  for (const r of refused) if (r.list.check(a, family)) return r.kind;
  return null;
}

function refusal(url: string, message: string): AppError {
  return new AppError('WEBHOOK_URL_REFUSED', message, { details: { url } });
}

/**
 * The URL a customer gave, checked now: http(s), no credentials, and every address its host
 * resolves to may be connected to. Returns the normalised URL; WEBHOOK_URL_REFUSED naming the
 * address (or what else is wrong) otherwise.
 */
export async function checkWebhookUrl(input: string, allow: AllowList, lookup: (host: string) => Promise<{ address: string }[]> = defaultLookup): Promise<string> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw refusal(input, 'url is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refusal(input, `url must be http: or https:, not ${url.protocol}`);
  if (url.username || url.password) throw refusal(input, 'url must not carry credentials (user:password@); authenticate the request by its Queunir-Signature');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (allow.hosts.has(host)) return url.toString();
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host)).map((r) => r.address);
    } catch (err) {
      throw refusal(input, `the host ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (addresses.length === 0) throw refusal(input, `the host ${host} does not resolve`);
  }
  for (const address of addresses) {
    const kind = refusedAddressKind(address, allow);
    if (kind) throw refusal(input, `url resolves to ${address}, a ${kind} address: webhooks go to public addresses only (or hosts in WEBHOOK_ALLOW_HOSTS)`);
  }
  return url.toString();
}

function defaultLookup(host: string): Promise<{ address: string }[]> {
  return dns.lookup(host, { all: true, verbatim: true });
}

export class RefusedAddressError extends Error {
  readonly code = 'WEBHOOK_ADDRESS_REFUSED';
}

/**
 * An undici Agent that refuses to talk to a refused address: the name is resolved by a lookup that
 * checks every answer (so no socket is even opened towards one), and once connected the socket's
 * remote address itself is checked (an IP literal skips the lookup; this check sees all).
 */
export function guardedAgent(allow: AllowList, options: { connectTimeoutMs?: number; resolve?: typeof dns.lookup } = {}): Agent {
  const resolve = options.resolve ?? dns.lookup;
  const lookup: net.LookupFunction = (hostname, opts, callback) => {
    resolve(hostname, { ...opts, all: true, verbatim: true } as never).then(
      (answers: unknown) => {
        const list = answers as { address: string; family: number }[];
        const allowedByName = allow.hosts.has(hostname.toLowerCase());
        const ok = allowedByName ? list : list.filter((a) => refusedAddressKind(a.address, allow) === null);
        if (ok.length === 0) {
          const first = list[0];
          callback(new RefusedAddressError(first ? `${hostname} resolves to ${first.address}, a ${refusedAddressKind(first.address, allow)} address: refused` : `${hostname} does not resolve`), '', 4);
          return;
        }
        if ((opts as { all?: boolean }).all) callback(null, ok as never);
        else callback(null, ok[0]!.address, ok[0]!.family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, '', 4),
    );
  };
  const connect = buildConnector({ timeout: options.connectTimeoutMs ?? 10_000, lookup } as buildConnector.BuildOptions);
  return new Agent({
    connect: (opts, callback) => {
      const allowedByName = allow.hosts.has(opts.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase());
      connect(opts, (err, socket) => {
        if (err || !socket) return callback(err ?? new Error('no socket'), null);
        const remote = (socket as net.Socket).remoteAddress ?? '';
        const kind = allowedByName ? null : refusedAddressKind(remote, allow);
        if (kind) {
          socket.destroy();
          return callback(new RefusedAddressError(`connected to ${remote}, a ${kind} address: refused`), null);
        }
        callback(null, socket);
      });
    },
  });
}
