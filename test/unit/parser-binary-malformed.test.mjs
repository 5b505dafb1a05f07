// The binary parsers against hostile input: garbage, truncation at every offset, bit
// flips, absurd lengths (memory stays bounded), gaps, the byte budget. feed() must
// never throw, nor fall back on its internal catch (parserFaults stays 0), and must
// return a count within [0, len].
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAppParser } from '../../agent/dist/protocols/app-parser.js';
import { MAX_HELD, parserFaults } from '../../agent/dist/protocols/framed-parser.js';
import { CAP, b, be32, clientHello, drive, ldap, my, pg, prng, randomChunks, rdp, serverHello, socks, z, le24 } from './parser-binary-builders.mjs';

const C = true;
const S = false;
const PROTOCOLS = ['postgresql', 'mysql', 'ldap', 'rdp', 'socks'];

// valid exchanges, each with the secrets it carries
const EXCHANGES = {
  postgresql: [
    [[C, pg.sslRequest()], [S, b('N')], [C, pg.startup({ user: 'alice', database: 'shop' })], [S, pg.auth(3)], [C, pg.password('pgSecret1')], [S, b(pg.auth(0), pg.ready())]],
    [[C, pg.sslRequest()], [S, b('S')], [C, clientHello()], [S, serverHello()]],
  ],
  mysql: [
    [[S, my.greeting()], [C, my.login({ user: 'app', plugin: 'mysql_clear_password', auth: z('mySecret2') })], [S, my.ok(2)]],
    [[S, my.greeting()], [C, my.sslRequest()], [C, clientHello()], [S, serverHello()]],
  ],
  ldap: [
    [[C, ldap.startTls(1)], [S, ldap.extendedResponse(1, 2)], [C, ldap.bindSimple(2, 'cn=a', 'ldapSecret3')], [S, ldap.bindResponse(2, 0)]],
    [[C, ldap.bindSasl(1, 'PLAIN', b([0], 'u', [0], 'plainSecret4'))], [S, ldap.bindResponse(1, 0)], [C, ldap.startTls(2)], [S, ldap.extendedResponse(2, 0)], [C, clientHello()]],
  ],
  rdp: [
    [[C, rdp.request({ cookie: 'mstshash=x', requested: 3 })], [S, rdp.confirm({ selected: 1 })], [C, clientHello()], [S, serverHello()]],
    [[C, rdp.request({ requested: 0 })], [S, rdp.confirm({ selected: 0 })], [C, rdp.mcsInitial()], [S, rdp.connectResponse(1, 1)]],
  ],
  socks: [
    [[C, socks.greeting(0, 2)], [S, socks.method(2)], [C, socks.auth('bob', 'socksSecret5')], [S, socks.authStatus(0)], [C, socks.request()], [S, socks.reply(0)], [C, clientHello()]],
    [[C, socks.v4request({ host: 'h.example', user: 'id' })], [S, socks.v4reply(90)], [S, serverHello()]],
  ],
};
const SECRETS = ['pgSecret1', 'mySecret2', 'ldapSecret3', 'plainSecret4', 'socksSecret5'];

function checkFacts(facts) {
  const json = JSON.stringify(facts);
  for (const s of SECRETS) assert.not.ok(json.includes(s), `secret ${s} in facts`);
  assert.ok(json.length < 8192, 'facts stay small');
}

function heldBytes(parser) {
  // the framing state is private to the class but visible at run time: the bound is the point
  return Math.max(...parser.held.map((h) => (h === null ? 0 : h.length)));
}

test('random bytes in both directions, random chunking', () => {
  const before = parserFaults;
  for (const protocol of PROTOCOLS) {
    for (let seed = 1; seed <= 150; seed++) {
      const r = prng(seed * 7919);
      const steps = [];
      for (let i = 0; i < 6; i++) steps.push([r.int(2) === 0, r.bytes(1 + r.int(r.int(3) === 0 ? 3000 : 40))]);
      // a plausible first byte now and then, to get past the first frame
      if (seed % 3 === 0) steps[0][1][0] = { postgresql: 0, mysql: 0x20, ldap: 0x30, rdp: 3, socks: 5 }[protocol];
      const res = drive(protocol, steps, randomChunks(seed));
      checkFacts(res.facts);
      assert.ok(heldBytes(res.parser) <= MAX_HELD);
    }
  }
  assert.is(parserFaults, before, 'no exception reached the safety net');
});

test('valid exchanges truncated at every offset, and with bytes flipped', () => {
  const before = parserFaults;
  for (const protocol of PROTOCOLS) {
    for (const steps of EXCHANGES[protocol]) {
      const flat = steps.flatMap(([dir, bytes]) => Array.from(bytes, (x) => [dir, x]));
      for (let cut = 0; cut <= flat.length; cut++) {
        const prefix = flat.slice(0, cut).map(([dir, x]) => [dir, Buffer.from([x])]);
        checkFacts(drive(protocol, prefix).facts);
      }
      for (let seed = 1; seed <= 300; seed++) {
        const r = prng(seed);
        const mutated = steps.map(([dir, bytes]) => [dir, Buffer.from(bytes)]);
        for (let k = 0; k < 1 + r.int(4); k++) {
          const step = mutated[r.int(mutated.length)][1];
          step[r.int(step.length)] = r.int(3) === 0 ? 0xff : r.next() & 255;
        }
        checkFacts(drive(protocol, mutated, randomChunks(seed)).facts);
      }
    }
  }
  assert.is(parserFaults, before);
});

test('absurd lengths: skipped by length, never buffered', () => {
  const big = Buffer.alloc(256 * 1024, 0x41);
  const cases = {
    postgresql: [[C, pg.startup({ user: 'u' })], [S, b('D', be32(0x7ffffff0))], [S, big]],
    mysql: [[S, b(le24(0xffffff), [0])], [S, big]],
    ldap: [[C, b([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff])], [C, big]],
    rdp: [[C, b([3, 0, 0xff, 0xff])], [C, big]],
    socks: [[C, b([4, 1, 0, 80, 1, 2, 3, 4])], [C, big]],
  };
  for (const [protocol, steps] of Object.entries(cases)) {
    for (const chunker of [undefined, randomChunks(5)]) {
      const r = drive(protocol, steps, chunker);
      assert.ok(heldBytes(r.parser) <= MAX_HELD, `${protocol} held ${heldBytes(r.parser)}`);
    }
  }
  // a PostgreSQL DataRow longer than what is held, followed by a real message, is stepped over
  const row = pg.typed('D', Buffer.alloc(20000, 1));
  const p = drive('postgresql', [[C, pg.startup({ user: 'u' })], [S, b(pg.auth(0), row, pg.param('server_version', '9.9'), pg.ready())]], randomChunks(3));
  assert.is(p.facts.details.server_version, '9.9');
  assert.ok(p.done);
});

test('lengths below the header size and invalid first bytes stop the direction quietly', () => {
  const cases = [
    ['postgresql', [[C, b(be32(3), be32(0))]]],
    ['postgresql', [[C, pg.startup({ user: 'u' })], [S, b('R', be32(2))]]],
    ['ldap', [[C, b([0x30, 0x80, 0, 0])]]], // indefinite length
    ['ldap', [[C, b([0x30, 0x85, 1, 1, 1, 1, 1])]]],
    ['rdp', [[C, b([3, 0, 0, 2])]]],
    ['socks', [[C, b([5, 0])]]],
    ['socks', [[C, b([9, 9, 9])]]],
    ['mysql', [[S, b([0, 0, 0, 0]), [S, b([1, 0, 0, 0, 0x0a])]]]],
  ];
  for (const [protocol, steps] of cases) {
    const r = drive(protocol, steps.filter((s) => Buffer.isBuffer(s[1])));
    assert.equal(r.split, { c: null, s: null });
    assert.is(r.facts.upgrade, undefined, protocol);
  }
});

test('a gap stops the direction: later TLS-looking bytes are not a split', () => {
  const p = createAppParser('postgresql');
  assert.is(p.feed(true, pg.sslRequest(), 0, 8), 8);
  p.gap(true);
  const ch = clientHello();
  assert.is(p.feed(true, ch, 0, ch.length), ch.length);
  assert.is(p.facts.upgrade, undefined);
  assert.not.ok(p.done);
  p.gap(false);
  assert.ok(p.done);
});

test('the byte budget ends the parser on an endless cleartext session', () => {
  const steps = [];
  for (let i = 1; i <= 10000; i++) steps.push([C, ldap.search(i, 'dc=example,dc=com')], [S, ldap.searchDone(i)]);
  const r = drive('ldap', steps);
  assert.ok(r.done);
  const m = drive('mysql', [[S, my.greeting()], [C, my.login({ user: 'u' })], ...Array.from({ length: 5000 }, () => [S, my.packet(3, Buffer.alloc(20, 0x61))])]);
  assert.not.ok(m.parser.active(false), 'the server side stopped after its budget');
  assert.ok(m.parser.active(true), 'the client side is still in authentication');
});

test('zero-length feeds and bytes after done are harmless', () => {
  for (const protocol of PROTOCOLS) {
    const p = createAppParser(protocol);
    assert.is(p.feed(true, Buffer.alloc(4), 0, 0), 0);
    p.end();
    p.end();
  }
  const p = createAppParser('socks');
  const g = socks.greeting(0);
  p.feed(true, g, 0, g.length);
  p.feed(false, socks.method(0xff), 0, 2);
  assert.ok(p.done);
  const junk = Buffer.alloc(100, 0x16);
  assert.is(p.feed(true, junk, 0, 100), 100);
  assert.is(p.feed(false, junk, 10, 50), 50);
  void CAP;
});

test.run();
