// The throttling key of a client address: IPv4 per address, IPv6 per /64.
import t from 'tap';
import { addressKey, expandIpv6 } from '../support/client-address.ts';

t.test('IPv4 addresses, plain or IPv4-mapped, are one key each', async (t) => {
  t.equal(addressKey('192.0.2.7'), 'v4:192.0.2.7');
  t.equal(addressKey('::ffff:192.0.2.7'), 'v4:192.0.2.7');
  t.not(addressKey('192.0.2.7'), addressKey('192.0.2.8'));
});

t.test('IPv6 addresses share a key within their /64, whatever their spelling', async (t) => {
  const a = addressKey('2001:db8:1:2::1');
  t.equal(a, 'v6:2001:db8:1:2::/64');
  t.equal(addressKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff'), a);
  t.equal(addressKey('2001:db8:1:2:a:b:c:d%eth0'), a);
  t.not(addressKey('2001:db8:1:3::1'), a, 'the next /64 is another client');
  t.equal(addressKey('::1'), 'v6:0:0:0:0::/64');
  t.same(expandIpv6('::ffff:1.2.3.4'), ['0', '0', '0', '0', '0', 'ffff', '102', '304']);
});

t.test('something that is not an address is kept apart, not merged with others', async (t) => {
  t.equal(addressKey('unknown'), 'raw:unknown');
});
