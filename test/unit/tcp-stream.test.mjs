import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TcpStream } from '../../agent/dist/flow/tcp-stream.js';

function collector() {
  const chunks = [];
  let gaps = 0;
  return {
    sink: (buf, off, len) => chunks.push(Buffer.from(buf.subarray(off, off + len))),
    gap: () => gaps++,
    text: () => Buffer.concat(chunks).toString(),
    gaps: () => gaps,
  };
}
const B = (s) => Buffer.from(s);

test('in-order segments after a SYN', () => {
  const s = new TcpStream();
  const c = collector();
  s.segment(1000, true, B(''), 0, 0, c.sink, c.gap);
  s.segment(1001, false, B('hello '), 0, 6, c.sink, c.gap);
  s.segment(1007, false, B('world'), 0, 5, c.sink, c.gap);
  assert.is(c.text(), 'hello world');
  assert.is(s.delivered, 11);
});

test('retransmission and overlap deliver each byte once', () => {
  const s = new TcpStream();
  const c = collector();
  s.segment(1, true, B(''), 0, 0, c.sink, c.gap);
  s.segment(2, false, B('abcd'), 0, 4, c.sink, c.gap);
  s.segment(2, false, B('abcd'), 0, 4, c.sink, c.gap); // duplicate
  s.segment(4, false, B('cdefg'), 0, 5, c.sink, c.gap); // overlaps 2 bytes
  assert.is(c.text(), 'abcdefg');
  assert.is(s.retransmitted, 6);
});

test('out-of-order segments are held until the hole fills', () => {
  const s = new TcpStream();
  const c = collector();
  s.segment(100, true, B(''), 0, 0, c.sink, c.gap);
  s.segment(107, false, B('ghi'), 0, 3, c.sink, c.gap);
  s.segment(104, false, B('def'), 0, 3, c.sink, c.gap);
  assert.is(c.text(), '');
  assert.ok(s.hasPending);
  s.segment(101, false, B('abc'), 0, 3, c.sink, c.gap);
  assert.is(c.text(), 'abcdefghi');
  assert.not.ok(s.hasPending);
});

test('mid-stream join starts at the first segment seen', () => {
  const s = new TcpStream();
  const c = collector();
  s.segment(5000, false, B('xy'), 0, 2, c.sink, c.gap);
  s.segment(5002, false, B('z'), 0, 1, c.sink, c.gap);
  assert.is(c.text(), 'xyz');
  assert.not.ok(s.sawSyn);
});

test('sequence numbers wrap around 2^32', () => {
  const s = new TcpStream();
  const c = collector();
  s.segment(0xfffffffd, true, B(''), 0, 0, c.sink, c.gap); // data starts at 0xfffffffe
  s.segment(0xfffffffe, false, B('ab'), 0, 2, c.sink, c.gap);
  s.segment(0, false, B('cd'), 0, 2, c.sink, c.gap);
  s.segment(0xfffffffe, false, B('ab'), 0, 2, c.sink, c.gap); // old retransmission
  assert.is(c.text(), 'abcd');
});

test('a hole that never fills becomes a gap once the budget is spent', () => {
  const s = new TcpStream(16, 64);
  const c = collector();
  s.segment(0, true, B(''), 0, 0, c.sink, c.gap);
  s.segment(1, false, B('aa'), 0, 2, c.sink, c.gap);
  s.segment(10, false, B('0123456789'), 0, 10, c.sink, c.gap);
  assert.is(c.gaps(), 0);
  s.segment(20, false, B('ABCDEFGHIJ'), 0, 10, c.sink, c.gap); // 20 bytes held > 16
  assert.is(c.gaps(), 1);
  assert.is(c.text(), 'aa0123456789ABCDEFGHIJ');
  assert.is(s.gaps, 1);
});

test('flush gives up on holes at the end of the connection', () => {
  const s = new TcpStream();
  const c = collector();
  s.segment(0, true, B(''), 0, 0, c.sink, c.gap);
  s.segment(5, false, B('late'), 0, 4, c.sink, c.gap);
  s.flush(c.sink, c.gap);
  assert.is(c.text(), 'late');
  assert.is(c.gaps(), 1);
});

test('one byte per segment, shuffled within a window', () => {
  const msg = 'a ClientHello written a few bytes at a time';
  const s = new TcpStream();
  const c = collector();
  s.segment(41, true, B(''), 0, 0, c.sink, c.gap);
  const order = [...msg].map((_, i) => i);
  for (let i = 0; i + 1 < order.length; i += 2) [order[i], order[i + 1]] = [order[i + 1], order[i]];
  for (const i of order) s.segment(42 + i, false, B(msg[i]), 0, 1, c.sink, c.gap);
  assert.is(c.text(), msg);
});

test.run();
