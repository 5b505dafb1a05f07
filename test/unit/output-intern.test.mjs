// internDocument: equal documents (member for member, shared parts by identity) become one
// shared object; any difference keeps them apart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { internDocument, sameContent } from '../../agent/dist/output/intern.js';
import { shared } from '../../agent/dist/output/writer.js';

const x509 = shared({ subject: { common_name: 'a.example' }, alternative_names: ['a.example', 'b.example'] });
const other509 = shared({ subject: { common_name: 'a.example' }, alternative_names: ['a.example', 'b.example'] });

const doc = (over = {}) => ({ version: '1.3', cipher: 'TLS_AES_128_GCM_SHA256', established: true, client: { server_name: 'a.example', ja4: 't13d1516h2_x_y' }, server: { x509, hash: { sha256: 'ab' } }, chain: ['ab', 'cd'], ...over });

test('equal documents share one object', () => {
  const a = internDocument(doc());
  const b = internDocument(doc());
  assert.is(a, b);
  assert.equal(JSON.stringify(a), JSON.stringify(doc()));
});

const differences = {
  'a string': { version: '1.2' },
  'a boolean': { established: false },
  'a nested string': { client: { server_name: 'b.example', ja4: 't13d1516h2_x_y' } },
  'an array item': { chain: ['ab', 'ce'] },
  'an array length': { chain: ['ab'] },
  'a shared part by identity (equal content)': { server: { x509: other509, hash: { sha256: 'ab' } } },
  'a number': { bits: 2048 },
  'member order': { client: { ja4: 't13d1516h2_x_y', server_name: 'a.example' } },
  'a missing member': { established: undefined },
  'null against a string': { version: null },
  'a string that looks like a number': { bits: '2048' },
};

for (const [what, over] of Object.entries(differences)) {
  test(`a difference in ${what} keeps documents apart`, () => {
    const base = internDocument(doc());
    const changed = internDocument(doc(over));
    assert.is.not(changed, base);
    assert.is(internDocument(doc(over)), changed);
  });
}

test('values that are not plain data are left alone', () => {
  class Thing { constructor() { this.a = 1; } }
  const t = { thing: new Thing() };
  assert.is.not(internDocument(t), internDocument({ thing: new Thing() }));
  const f = { f: () => 1 };
  assert.is(internDocument(f), f);
});

test('sameContent: NaN equals NaN, 0 and -0 differ, shared parts only by identity', () => {
  assert.ok(sameContent({ a: NaN }, { a: NaN }));
  assert.not.ok(sameContent({ a: 0 }, { a: -0 }));
  assert.ok(sameContent({ s: x509 }, { s: x509 }));
  assert.not.ok(sameContent({ s: x509 }, { s: other509 }));
  assert.not.ok(sameContent([1, 2], { 0: 1, 1: 2 }));
});

test('documents whose hashes collide are still told apart member by member', () => {
  const a = internDocument(doc({ c: 1 }), 12345);
  const b = internDocument(doc({ c: 2 }), 12345);
  assert.is.not(a, b);
  assert.is(internDocument(doc({ c: 2 }), 12345), b);
  assert.is(internDocument(doc({ c: 1 }), 12345), a);
  assert.is.not(internDocument(doc({ c: 1, d: 0 }), 12345), a);
});

test('the table stays bounded and keeps answering', () => {
  for (let i = 0; i < 20000; i++) internDocument(doc({ n: i }));
  const a = internDocument(doc({ n: 'last' }));
  assert.is(internDocument(doc({ n: 'last' })), a);
});

test.run();
