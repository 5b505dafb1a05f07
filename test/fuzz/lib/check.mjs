// The output invariants the fuzzer checks after every case: each document has the fields the
// contract (/work/shared/spec/CONTRACT.md) requires, with the right types; the summary is
// last and unique; every packet read is accounted for, either in a session's packet counts
// or in the summary's undecoded counts by reason.

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(\d{3})?Z$/;
const TLS_VERSIONS = new Set(['1.3', '1.2', '1.1', '1.0', '3.0', '2.0']);
const PROTOCOL = /^[a-z0-9][a-z0-9_.-]*$/;
const CATEGORIES = new Set(['SEC09-BP01', 'SEC09-BP02', 'SEC09-BP03']);
/**
 * Undecoded reasons that count events, not packets: a fragment overlapping bytes already
 * held (the fragment itself is counted by its fate), a datagram timed out or evicted (its
 * fragments were counted as buffered).
 */
export const NOT_PACKET_REASONS = new Set(['fragment-overlap', 'fragment-timeout', 'fragment-evicted']);
/** Notes that the parsers' last-resort guards write: a bug, never the input's fault. */
const INTERNAL_NOTES = /internal-(parse-)?error/;

const isInt = (v, min = 0, max = Number.MAX_SAFE_INTEGER) => Number.isInteger(v) && v >= min && v <= max;
const isStr = (v) => typeof v === 'string';
const isTime = (v) => isStr(v) && ISO.test(v) && !Number.isNaN(Date.parse(v));
const get = (o, path) => path.split('.').reduce((v, k) => (v == null ? undefined : v[k]), o);

/** Every number in the document is finite; no value is undefined, a function, a bigint or binary. */
function plainJson(v, path, bad) {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) bad.push(`${path}: non-finite number ${v}`);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => plainJson(x, `${path}[${i}]`, bad));
    return;
  }
  if (typeof v === 'object') {
    if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) {
      bad.push(`${path}: binary value`);
      return;
    }
    for (const k of Object.keys(v)) plainJson(v[k], path ? `${path}.${k}` : k, bad);
    return;
  }
  bad.push(`${path}: ${typeof v} value`);
}

function endpoint(doc, side, bad) {
  const e = doc[side];
  if (!e || typeof e !== 'object') return bad.push(`${side} missing`);
  if (!isStr(e.ip) || e.ip.length < 2) bad.push(`${side}.ip ${e.ip}`);
  if (!isInt(e.port, 0, 65535)) bad.push(`${side}.port ${e.port}`);
  if (!isInt(e.bytes)) bad.push(`${side}.bytes ${e.bytes}`);
  if (!isInt(e.packets)) bad.push(`${side}.packets ${e.packets}`);
}

function network(doc, bad) {
  const n = doc.network;
  if (!n) return bad.push('network missing');
  if (n.transport !== 'tcp' && n.transport !== 'udp') bad.push(`network.transport ${n.transport}`);
  if (n.type !== 'ipv4' && n.type !== 'ipv6') bad.push(`network.type ${n.type}`);
  if (!isStr(n.protocol) || !PROTOCOL.test(n.protocol)) bad.push(`network.protocol ${JSON.stringify(n.protocol)}`);
  if (!isStr(n.community_id) || !/^1:[A-Za-z0-9+/]{27}=$/.test(n.community_id)) bad.push(`network.community_id ${n.community_id}`);
  if (n.vlan !== undefined && !isInt(n.vlan.id, 0, 4095)) bad.push(`network.vlan.id ${n.vlan.id}`);
}

function tlsFields(doc, bad) {
  const t = doc.tls;
  if (t === undefined) return;
  if (typeof t !== 'object' || t === null) return bad.push('tls not an object');
  if (t.version_protocol !== undefined && !['tls', 'ssl', 'dtls'].includes(t.version_protocol)) bad.push(`tls.version_protocol ${t.version_protocol}`);
  if (t.version !== undefined && !TLS_VERSIONS.has(t.version)) bad.push(`tls.version ${t.version}`);
  if (t.cipher !== undefined && !(isStr(t.cipher) && (/^(TLS|SSL[0-9]?)_[A-Za-z0-9_]+$/.test(t.cipher) || /^unknown-0x[0-9a-f]{4,6}$/.test(t.cipher)))) bad.push(`tls.cipher ${t.cipher}`);
  for (const k of ['established', 'resumed']) if (t[k] !== undefined && typeof t[k] !== 'boolean') bad.push(`tls.${k} ${t[k]}`);
  const c = t.client;
  if (c !== undefined) {
    if (c.server_name !== undefined && !isStr(c.server_name)) bad.push('tls.client.server_name not a string');
    if (c.supported_ciphers !== undefined && !(Array.isArray(c.supported_ciphers) && c.supported_ciphers.every(isStr))) bad.push('tls.client.supported_ciphers');
    if (c.ja3 !== undefined && !/^[0-9a-f]{32}$/.test(c.ja3)) bad.push(`tls.client.ja3 ${c.ja3}`);
    if (c.ja4 !== undefined && !/^[tqd][0-9a-z]{2}[di][0-9]{2}[0-9]{2}[\x00-\x7f]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/.test(c.ja4)) bad.push(`tls.client.ja4 ${c.ja4}`);
  }
  const s = t.server;
  if (s !== undefined) {
    if (s.ja3s !== undefined && !/^[0-9a-f]{32}$/.test(s.ja3s)) bad.push(`tls.server.ja3s ${s.ja3s}`);
    if (s.hash?.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(s.hash.sha256)) bad.push(`tls.server.hash.sha256 ${s.hash.sha256}`);
    const x = s.x509;
    if (x !== undefined) {
      for (const k of ['not_before', 'not_after']) if (x[k] !== undefined && !(isStr(x[k]) && !Number.isNaN(Date.parse(x[k])))) bad.push(`tls.server.x509.${k} ${x[k]}`);
      if (x.alternative_names !== undefined && !(Array.isArray(x.alternative_names) && x.alternative_names.every(isStr))) bad.push('tls.server.x509.alternative_names');
      if (x.public_key_size !== undefined && !isInt(x.public_key_size)) bad.push(`tls.server.x509.public_key_size ${x.public_key_size}`);
    }
  }
}

function common(doc, bad) {
  if (!isTime(doc['@timestamp'])) bad.push(`@timestamp ${doc['@timestamp']}`);
  if (!isTime(doc.event?.start)) bad.push(`event.start ${doc.event?.start}`);
  if (!isTime(doc.event?.end)) bad.push(`event.end ${doc.event?.end}`);
  else if (isTime(doc.event?.start) && Date.parse(doc.event.end) < Date.parse(doc.event.start)) bad.push('event.end before event.start');
  endpoint(doc, 'source', bad);
  endpoint(doc, 'destination', bad);
  network(doc, bad);
  tlsFields(doc, bad);
}

function session(doc, bad) {
  if (doc.event.kind !== 'event') bad.push(`event.kind ${doc.event.kind}`);
  common(doc, bad);
  if (doc['@timestamp'] !== doc.event.start) bad.push('@timestamp differs from event.start');
  const it = doc.intransit;
  if (!it) return bad.push('intransit missing');
  if (!(it.encrypted === true || it.encrypted === false || it.encrypted === null)) bad.push(`intransit.encrypted ${it.encrypted}`);
  if (!(Array.isArray(it.findings) && it.findings.every(isStr))) bad.push('intransit.findings');
  if (it.tunnel !== undefined) {
    if (!Array.isArray(it.tunnel)) bad.push('intransit.tunnel not a list');
    else for (const t of it.tunnel) if (!['vxlan', 'geneve', 'gre', 'erspan', 'ipip', 'gtp', 'teredo', 'ayiya'].includes(t.type)) bad.push(`intransit.tunnel type ${t.type}`);
  }
}

function finding(doc, bad) {
  if (doc.event.kind !== 'alert') bad.push(`event.kind ${doc.event.kind}`);
  common(doc, bad);
  const r = doc.rule;
  if (!r) return bad.push('rule missing');
  if (!isStr(r.id) || !/^[a-z0-9-]+$/.test(r.id)) bad.push(`rule.id ${r.id}`);
  if (!isStr(r.name) || !r.name) bad.push('rule.name');
  if (!CATEGORIES.has(r.category)) bad.push(`rule.category ${r.category}`);
  if (!isStr(r.reference) || !r.reference) bad.push('rule.reference');
  if (!isInt(doc.event.severity, 1, 5)) bad.push(`event.severity ${doc.event.severity}`);
  if (!isStr(doc.message) || doc.message.length === 0) bad.push('message missing');
  // one sentence for a person (and for text outputs and reports): bytes from the wire must not
  // bring line breaks or terminal escapes into it
  else if (/[\x00-\x1f\x7f]/.test(doc.message)) bad.push(`message holds control characters: ${JSON.stringify(doc.message.slice(0, 120))}`);
}

function summary(doc, bad) {
  if (doc.event.kind !== 'metric') bad.push(`summary event.kind ${doc.event.kind}`);
  const s = doc.intransit?.summary;
  if (!s) return bad.push('intransit.summary missing');
  if (!isInt(s.packets)) bad.push(`summary.packets ${s.packets}`);
  if (!isInt(s.bytes)) bad.push(`summary.bytes ${s.bytes}`);
  if (!isInt(s.sessions)) bad.push(`summary.sessions ${s.sessions}`);
  if (typeof s.undecoded !== 'object' || s.undecoded === null) bad.push('summary.undecoded missing');
  else for (const [k, v] of Object.entries(s.undecoded)) if (!isInt(v, 1) || !/^[a-z0-9-]+$/.test(k)) bad.push(`summary.undecoded ${k}=${v}`);
  if (!s.flows || !isInt(s.flows.evicted) || !isInt(s.flows.created)) bad.push('summary.flows');
  if (!s.kpi || typeof s.kpi !== 'object') bad.push('summary.kpi missing');
  for (const k of ['sessions_by_protocol', 'findings_by_rule']) if (typeof s[k] !== 'object' || s[k] === null) bad.push(`summary.${k} missing`);
}

/**
 * Checks one run's documents. `packets` is the number of records handed to the engine.
 * Returns a list of violations (empty when all is well).
 */
export function checkDocuments(docs, packets) {
  const bad = [];
  const where = (i, list) => list.map((m) => `doc ${i} (${get(docs[i], 'event.dataset')}): ${m}`);
  let sessionPackets = 0;
  let sessions = 0;
  docs.forEach((doc, i) => {
    const b = [];
    let text;
    try {
      text = JSON.stringify(doc);
    } catch (e) {
      bad.push(`doc ${i}: not serialisable: ${e.message}`);
      return;
    }
    if (text.includes('\n')) b.push('newline in serialised document');
    plainJson(doc, '', b);
    if (INTERNAL_NOTES.test(text)) b.push(`a parser guard caught an internal error: ${text.match(/"[^"]*internal-(?:parse-)?error[^"]*"/)?.[0]}`);
    const ds = get(doc, 'event.dataset');
    if (ds === 'intransit.session') {
      session(doc, b);
      sessions++;
      sessionPackets += (doc.source?.packets ?? 0) + (doc.destination?.packets ?? 0);
    } else if (ds === 'intransit.finding') finding(doc, b);
    else if (ds === 'intransit.summary') {
      summary(doc, b);
      if (i !== docs.length - 1) b.push('summary is not the last document');
    } else b.push(`unknown event.dataset ${ds}`);
    bad.push(...where(i, b));
  });
  const last = docs.at(-1);
  if (get(last, 'event.dataset') !== 'intransit.summary') {
    bad.push('no summary document last');
    return bad;
  }
  const s = last.intransit.summary;
  if (s.packets !== packets) bad.push(`summary.packets ${s.packets}, ${packets} handed to the engine`);
  if (s.sessions !== sessions) bad.push(`summary.sessions ${s.sessions}, ${sessions} session documents`);
  let undecoded = 0;
  for (const [k, v] of Object.entries(s.undecoded ?? {})) if (!NOT_PACKET_REASONS.has(k)) undecoded += v;
  if (sessionPackets + undecoded !== packets) {
    bad.push(`packets unaccounted for: ${packets} read, ${sessionPackets} in sessions + ${undecoded} undecoded (${JSON.stringify(s.undecoded)})`);
  }
  return bad;
}
