import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ipString, isoMs, isoTime } from '../../agent/dist/output/format.js';

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

test('isoMs reads isoTime output as Date.parse does, anything else through Date.parse', () => {
  const cases = [
    '2026-01-01T00:00:00.517244Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.5Z', '2026-01-01T00:00:00.51Z',
    '2026-01-01T00:00:00.999999999Z', '1970-01-01T00:00:00.000000Z', '2026-13-01T00:00:00.1Z', 'garbage', '',
    '2026-01-01T00:00:00.Z', '2026-01-01T00:00:00.12a4Z', '2026-01-01T00:00:00+01:00', '2026-01-01T00:00:00.517244',
  ];
  for (let sec = 0; sec < 4e9; sec += 12345677) for (const nsec of [0, 1000, 517244000, 999999999]) cases.push(isoTime(sec, nsec));
  for (const c of cases) {
    const want = Date.parse(c);
    const got = isoMs(c);
    assert.ok(got === want || (Number.isNaN(got) && Number.isNaN(want)), `${c}: ${got} vs ${want}`);
  }
});

test.run();
