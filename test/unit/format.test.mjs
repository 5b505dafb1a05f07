import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ipString, isoTime } from '../../agent/dist/output/format.js';

const v6 = (s) => {
  // expand a full 8-group address into 4 words
  const g = s.split(':').map((x) => parseInt(x, 16));
  return [0, 1, 2, 3].map((i) => ((g[2 * i] << 16) | g[2 * i + 1]) >>> 0);
};

test('IPv4 dotted quad', () => {
  assert.is(ipString(4, 0, 0, 0, 0xc0a80001), '192.168.0.1');
  assert.is(ipString(4, 0, 0, 0, 0xffffffff), '255.255.255.255');
});

test('IPv6 in RFC 5952 canonical form', () => {
  const cases = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:0db8:0001:0001:0001:0001:0000:0001', '2001:db8:1:1:1:1:0:1'],
    ['fe80:0000:0000:0000:0000:0000:0000:0000', 'fe80::'],
    ['0000:0000:0000:0000:0000:ffff:c000:0201', '::ffff:192.0.2.1'],
  ];
  for (const [full, want] of cases) assert.is(ipString(6, ...v6(full)), want, full);
});

test('timestamps keep micro- or nanosecond precision', () => {
  assert.is(isoTime(1700000000, 123456000), '2023-11-14T22:13:20.123456Z');
  assert.is(isoTime(1700000000, 123456789), '2023-11-14T22:13:20.123456789Z');
  assert.is(isoTime(0, 0), '1970-01-01T00:00:00.000000Z');
});

test.run();
