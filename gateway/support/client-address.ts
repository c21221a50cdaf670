// The key a client's address is throttled under. An IPv4 address is one client; an IPv6 client
// usually holds a whole /64 (privacy addresses rotate inside it), so its limit is the /64's.
import net from 'node:net';

/** `v4:a.b.c.d` or `v6:xxxx:xxxx:xxxx:xxxx::/64`; anything unparsable stays as it came. */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return `v4:${mapped[1]}`;
  if (net.isIPv4(ip)) return `v4:${ip}`;
  if (!net.isIPv6(ip)) return `raw:${ip}`;
  return `v6:${expandIpv6(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight hextets of an IPv6 address, lower-case and without leading zeros. */
export function expandIpv6(ip: string): string[] {
  let text = ip.split('%')[0]!.toLowerCase();
  // An embedded IPv4 tail (::1.2.3.4) is two hextets.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((h) => parseInt(h, 16).toString(16));
}
