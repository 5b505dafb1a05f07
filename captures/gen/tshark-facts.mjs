#!/usr/bin/env node
// Describes every sample capture the way tshark (and openssl, for the
// certificates) sees it, so the product's output can be cross-checked against
// tools that share none of its code.
//
//   node captures/gen/tshark-facts.mjs [CAPTURE_DIR]
//
// Writes CAPTURE_DIR/tshark-facts.json and rewrites the table between the
// `facts:begin` / `facts:end` markers of CAPTURE_DIR/README.md.
// One entry per capture, one per TCP/UDP stream inside it (for tunnelled
// traffic, the innermost transport). Values are tshark's own: numbers as
// tshark prints them ("0x1301"), names from tshark's value strings. Secrets
// are never copied: HTTP Authorization and FTP PASS arguments are dropped.
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));

// tshark does not decode these well-known-port misuses on its own.
const DECODE_AS = {
  'tls-on-8080.pcap': ['-d', 'tcp.port==8080,tls'],
  'http-on-443.pcap': ['-d', 'tcp.port==443,http'],
};

const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';
const VERSION_NAMES = {
  '0x0002': 'SSL 2.0', '0x0300': 'SSL 3.0', '0x0301': 'TLS 1.0', '0x0302': 'TLS 1.1',
  '0x0303': 'TLS 1.2', '0x0304': 'TLS 1.3', '0xfeff': 'DTLS 1.0', '0xfefd': 'DTLS 1.2',
  '0xfefc': 'DTLS 1.3',
};
const HANDSHAKE = { CLIENT_HELLO: 1, SERVER_HELLO: 2, CERTIFICATE: 11, CERTIFICATE_REQUEST: 13 };
const EXT_PRE_SHARED_KEY = 41;
const EXT_SESSION_TICKET = 35;

function tshark(args) {
  const run = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.status !== 0) throw new Error(`tshark ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

const tsharkVersion = tshark(['--version']).split('\n')[0].trim();
const knownFields = new Set(
  tshark(['-G', 'fields']).split('\n').map((line) => line.split('\t')[2]).filter(Boolean),
);

// Value-string tables: code -> IANA-style name, as tshark itself names them.
// (`tshark -G values` is ~90 MB of text; read it once.)
function valueTables(fields) {
  const tables = Object.fromEntries(fields.map((f) => [f, new Map()]));
  for (const line of tshark(['-G', 'values']).split('\n')) {
    if (!line.startsWith('V\t')) continue;
    const [, field, value, name] = line.split('\t');
    tables[field]?.set(Number(value), name);
  }
  return tables;
}
const tables = valueTables(['tls.handshake.ciphersuite', 'tls.handshake.extensions_supported_group', 'tls.alert_message.desc']);
const cipherNames = tables['tls.handshake.ciphersuite'];
const groupNames = tables['tls.handshake.extensions_supported_group'];
const alertNames = tables['tls.alert_message.desc'];

const TLS_FIELDS = [
  'handshake.type', 'handshake.version', 'handshake.extensions.supported_version',
  'handshake.ciphersuite', 'handshake.extensions_server_name', 'handshake.extensions_alpn_str',
  'handshake.ja3', 'handshake.ja3_full', 'handshake.ja3s', 'handshake.ja3s_full',
  'handshake.ja4', 'handshake.ja4_r', 'handshake.session_id', 'handshake.random',
  'handshake.extension.type', 'handshake.extensions_key_share_group',
  'handshake.server_named_curve', 'handshake.p_len', 'handshake.certificate', 'alert_message.desc',
];
const FIELDS = [
  'frame.number', 'frame.time_epoch', 'frame.protocols',
  'vlan.id', 'vxlan.vni', 'geneve.vni', 'gre.proto',
  'ip.src', 'ip.dst', 'ip.len', 'ipv6.src', 'ipv6.dst', 'ipv6.plen',
  'tcp.stream', 'tcp.srcport', 'tcp.dstport', 'tcp.flags.syn', 'tcp.flags.ack',
  'udp.stream', 'udp.srcport', 'udp.dstport',
  ...TLS_FIELDS.map((f) => `tls.${f}`), ...TLS_FIELDS.map((f) => `dtls.${f}`),
  'http.request.method', 'http.host', 'http.request.uri', 'http.authorization',
  'http.response.code', 'ftp.request.command', 'ftp.response.code',
].filter((f) => knownFields.has(f));
const hasJa4 = knownFields.has('tls.handshake.ja4');

const last = (values) => (values ? values[values.length - 1] : undefined);
const first = (values) => (values ? values[0] : undefined);
const hexNumber = (value) => Number(value);
const groupName = (code) => (code === undefined ? null : (groupNames.get(hexNumber(code)) ?? `unknown-${code}`));
const cipherName = (code) => cipherNames.get(hexNumber(code)) ?? `unknown-${code}`;

function readFrames(file) {
  const args = ['-r', join(dir, file), ...(DECODE_AS[file] ?? []), '-T', 'json'];
  for (const field of FIELDS) args.push('-e', field);
  return JSON.parse(tshark(args)).map((packet) => packet._source.layers);
}

// Innermost transport and addresses of one frame (outer headers of tunnels
// come first in tshark's occurrence order).
function frameFlow(layers) {
  const ipv6 = layers['ipv6.src'] && (!layers['ip.src'] || innermostIsIpv6(layers));
  const src = last(ipv6 ? layers['ipv6.src'] : layers['ip.src']);
  const dst = last(ipv6 ? layers['ipv6.dst'] : layers['ip.dst']);
  const ipBytes = ipv6 ? Number(last(layers['ipv6.plen'])) + 40 : Number(last(layers['ip.len']));
  if (layers['tcp.stream']) {
    return { transport: 'tcp', stream: Number(last(layers['tcp.stream'])), src, dst, ipv6,
      sport: Number(last(layers['tcp.srcport'])), dport: Number(last(layers['tcp.dstport'])), ipBytes };
  }
  if (layers['udp.stream']) {
    return { transport: 'udp', stream: Number(last(layers['udp.stream'])), src, dst, ipv6,
      sport: Number(last(layers['udp.srcport'])), dport: Number(last(layers['udp.dstport'])), ipBytes };
  }
  return null;
}

function innermostIsIpv6(layers) {
  const protocols = layers['frame.protocols'][0].split(':');
  return protocols.lastIndexOf('ipv6') > protocols.lastIndexOf('ip');
}

function tunnelsOf(layers) {
  const tunnels = [];
  for (const proto of layers['frame.protocols'][0].split(':')) {
    if (proto === 'vxlan') tunnels.push({ type: 'vxlan', vni: Number(first(layers['vxlan.vni'])) });
    if (proto === 'geneve') tunnels.push({ type: 'geneve', vni: Number(first(layers['geneve.vni'])) });
    if (proto === 'gre') tunnels.push({ type: 'gre' });
  }
  return tunnels;
}

const APP_PROTOCOLS = ['quic', 'tls', 'dtls', 'http', 'ftp'];

function newStream(flow, layers) {
  return {
    transport: flow.transport,
    tshark_stream: flow.stream,
    ip_version: flow.ipv6 ? 6 : 4,
    client: { ip: flow.src, port: flow.sport },
    server: { ip: flow.dst, port: flow.dport },
    originator_evidence: 'first-packet',
    vlan_ids: (layers['vlan.id'] ?? []).map(Number),
    tunnels: tunnelsOf(layers),
    time_first: first(layers['frame.time_epoch']),
    time_last: first(layers['frame.time_epoch']),
    packets: { client: 0, server: 0 },
    ip_bytes: { client: 0, server: 0 },
    tshark_protocols: [],
    hellos: { client: [], server: [] },
    certificates: { client: [], server: [] },
    certificate_requested: false,
    alerts: [],
    http: [],
    ftp: [],
  };
}

// The originator is the SYN sender; without one, the ClientHello sender.
function orient(stream, flow, evidence) {
  if (stream.originator_evidence === 'syn') return;
  if (stream.client.ip !== flow.src || stream.client.port !== flow.sport) {
    [stream.client, stream.server] = [stream.server, stream.client];
    [stream.packets.client, stream.packets.server] = [stream.packets.server, stream.packets.client];
    [stream.ip_bytes.client, stream.ip_bytes.server] = [stream.ip_bytes.server, stream.ip_bytes.client];
    for (const side of ['hellos', 'certificates']) {
      [stream[side].client, stream[side].server] = [stream[side].server, stream[side].client];
    }
    for (const alert of stream.alerts) alert.from = alert.from === 'client' ? 'server' : 'client';
  }
  stream.originator_evidence = evidence;
}

function tlsRecords(stream, layers, fromClient, prefix) {
  const get = (f) => layers[`${prefix}.${f}`];
  const types = (get('handshake.type') ?? []).map(Number);
  if (types.includes(HANDSHAKE.CLIENT_HELLO)) {
    stream.hellos.client.push({
      legacy_version: first(get('handshake.version')),
      supported_versions: get('handshake.extensions.supported_version') ?? [],
      cipher_suites: get('handshake.ciphersuite') ?? [],
      server_name: first(get('handshake.extensions_server_name')) ?? null,
      alpn: get('handshake.extensions_alpn_str') ?? [],
      session_id: first(get('handshake.session_id')) ?? '',
      extensions: (get('handshake.extension.type') ?? []).map(Number),
      key_share_groups: (get('handshake.extensions_key_share_group') ?? []).map(groupName),
      ja3: first(get('handshake.ja3')) ?? null,
      ja3_full: first(get('handshake.ja3_full')) ?? null,
      ...(hasJa4 ? { ja4: first(get('handshake.ja4')) ?? null, ja4_r: first(get('handshake.ja4_r')) ?? null } : {}),
    });
  }
  if (types.includes(HANDSHAKE.SERVER_HELLO)) {
    const random = first(get('handshake.random')) ?? '';
    const supported = first(get('handshake.extensions.supported_version'));
    const legacy = first(get('handshake.version'));
    const version = supported ?? legacy;
    stream.hellos.server.push({
      hello_retry_request: random === HRR_RANDOM,
      legacy_version: legacy,
      version,
      version_name: VERSION_NAMES[version] ?? `unknown-${version}`,
      cipher_suite: first(get('handshake.ciphersuite')),
      cipher_name: cipherName(first(get('handshake.ciphersuite'))),
      group: groupName(first(get('handshake.extensions_key_share_group'))),
      dh_prime_bits: null,
      session_id: first(get('handshake.session_id')) ?? '',
      extensions: (get('handshake.extension.type') ?? []).map(Number),
      alpn: first(get('handshake.extensions_alpn_str')) ?? null,
      ja3s: first(get('handshake.ja3s')) ?? null,
      ja3s_full: first(get('handshake.ja3s_full')) ?? null,
    });
  }
  // TLS <= 1.2 ServerKeyExchange (same frame as the ServerHello or a later
  // one): ECDHE named group, or the size of a finite-field DH prime.
  const hello = last(stream.hellos.server);
  if (!fromClient && hello) {
    const curve = first(get('handshake.server_named_curve'));
    if (curve !== undefined && hello.group === null) hello.group = groupName(curve);
    const pLength = first(get('handshake.p_len'));
    if (pLength !== undefined) hello.dh_prime_bits = Number(pLength) * 8;
  }
  if (!fromClient && types.includes(HANDSHAKE.CERTIFICATE_REQUEST)) stream.certificate_requested = true;
  if (types.includes(HANDSHAKE.CERTIFICATE)) {
    const side = fromClient ? 'client' : 'server';
    for (const der of get('handshake.certificate') ?? []) stream.certificates[side].push(describeCertificate(der));
  }
  for (const desc of get('alert_message.desc') ?? []) {
    stream.alerts.push({ from: fromClient ? 'client' : 'server', description: Number(desc),
      name: alertNames.get(Number(desc)) ?? null });
  }
}

function describeCertificate(hex) {
  const der = Buffer.from(hex, 'hex');
  const cert = new X509Certificate(der);
  const text = spawnSync('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], { input: der, encoding: 'utf8' }).stdout;
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const cn = (dn) => (dn.split('\n').find((l) => l.startsWith('CN=')) ?? '').slice(3) || null;
  return {
    sha256: createHash('sha256').update(der).digest('hex'),
    subject_common_name: cn(cert.subject),
    issuer_common_name: cn(cert.issuer),
    self_signed: cert.subject === cert.issuer,
    not_before: new Date(cert.validFrom).toISOString(),
    not_after: new Date(cert.validTo).toISOString(),
    serial_number: cert.serialNumber.toLowerCase(),
    alternative_names: (cert.subjectAltName ?? '').split(', ').filter(Boolean).map((n) => n.replace(/^DNS:/, '')),
    public_key_algorithm: key.asymmetricKeyType,
    public_key_size: details.modulusLength ?? (/Public-Key: \((\d+) bit\)/.exec(text)?.[1] | 0),
    public_key_curve: details.namedCurve ?? null,
    signature_algorithm: /Signature Algorithm: (\S+)/.exec(text)?.[1] ?? null,
  };
}

function applicationRecords(stream, layers) {
  const method = first(layers['http.request.method']);
  if (method) {
    stream.http.push({ method, host: first(layers['http.host']) ?? null, uri: first(layers['http.request.uri']) ?? null,
      authorization_scheme: layers['http.authorization'] ? first(layers['http.authorization']).split(' ')[0] : null });
  }
  if (layers['http.response.code']) stream.http.push({ response: Number(first(layers['http.response.code'])) });
  for (const command of layers['ftp.request.command'] ?? []) stream.ftp.push({ command });
  for (const code of layers['ftp.response.code'] ?? []) stream.ftp.push({ response: Number(code) });
}

function describeCapture(file) {
  const streams = new Map();
  const frames = readFrames(file);
  for (const layers of frames) {
    const flow = frameFlow(layers);
    if (!flow) continue;
    const key = `${flow.transport}:${flow.stream}`;
    let stream = streams.get(key);
    if (!stream) streams.set(key, (stream = newStream(flow, layers)));
    const syn = Number(first(layers['tcp.flags.syn'])) === 1 && Number(last(layers['tcp.flags.ack'])) === 0;
    if (syn) orient(stream, flow, 'syn');
    const prefix = layers['dtls.handshake.type'] ? 'dtls' : 'tls';
    const types = (layers[`${prefix}.handshake.type`] ?? []).map(Number);
    if (types.includes(HANDSHAKE.CLIENT_HELLO) && stream.originator_evidence === 'first-packet') {
      orient(stream, flow, 'client-hello');
    }
    const fromClient = stream.client.ip === flow.src && stream.client.port === flow.sport;
    const side = fromClient ? 'client' : 'server';
    stream.packets[side] += 1;
    stream.ip_bytes[side] += flow.ipBytes;
    stream.time_last = first(layers['frame.time_epoch']);
    for (const proto of layers['frame.protocols'][0].split(':')) {
      if (APP_PROTOCOLS.includes(proto) && !stream.tshark_protocols.includes(proto)) stream.tshark_protocols.push(proto);
    }
    tlsRecords(stream, layers, fromClient, prefix);
    applicationRecords(stream, layers);
  }
  return { file, packets: frames.length, decode_as: DECODE_AS[file] ?? [], streams: [...streams.values()].map(summarise) };
}

// Headline values, derived from the raw facts above.
function summarise(stream) {
  const clientHello = last(stream.hellos.client);
  const hellos = stream.hellos.server.filter((h) => !h.hello_retry_request);
  const serverHello = last(hellos);
  const tls = clientHello || serverHello ? {
    version: serverHello?.version_name ?? null,
    cipher: serverHello?.cipher_name ?? null,
    group: serverHello?.group ?? null,
    dh_prime_bits: serverHello?.dh_prime_bits ?? null,
    server_name: clientHello?.server_name ?? null,
    alpn: serverHello?.alpn ?? null,
    ja3: clientHello?.ja3 ?? null,
    ja3s: serverHello?.ja3s ?? null,
    ja4: hasJa4 ? (clientHello?.ja4 ?? null) : 'not available in this tshark',
    hello_retry_request: stream.hellos.server.some((h) => h.hello_retry_request),
    resumed: serverHello ? resumed(clientHello, serverHello, stream) : false,
    certificate_requested: stream.certificate_requested,
    server_certificates: stream.certificates.server.length,
    client_certificates: stream.certificates.client.length,
  } : null;
  return { ...stream, tls };
}

function resumed(clientHello, serverHello, stream) {
  if (serverHello.version === '0x0304' || serverHello.version === '0xfefc') {
    return serverHello.extensions.includes(EXT_PRE_SHARED_KEY);
  }
  // TLS <= 1.2: an abbreviated handshake sends no server Certificate, and
  // either echoes the offered session id or follows a ticket offer.
  if (stream.certificates.server.length > 0 || !clientHello) return false;
  const echoed = serverHello.session_id !== '' && serverHello.session_id === clientHello.session_id;
  return echoed || clientHello.extensions.includes(EXT_SESSION_TICKET);
}

function markdownTable(captures) {
  const rows = ['| capture | stream | client -> server | tshark: version, cipher | SNI | notes |', '| --- | --- | --- | --- | --- | --- |'];
  for (const capture of captures) {
    for (const s of capture.streams) {
      const endpoint = (e) => (s.ip_version === 6 ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
      const notes = [];
      if (s.tunnels.length) notes.push(s.tunnels.map((t) => (t.vni ? `${t.type} ${t.vni}` : t.type)).join(', '));
      if (s.vlan_ids.length) notes.push(`vlan ${s.vlan_ids.join('/')}`);
      if (s.tls?.resumed) notes.push('resumed');
      if (s.tls?.hello_retry_request) notes.push('HRR');
      if (s.tls?.alpn) notes.push(`ALPN ${s.tls.alpn}`);
      if (s.tshark_protocols.includes('quic')) notes.push('quic');
      if (s.tls?.group) notes.push(s.tls.group);
      if (s.tls?.dh_prime_bits) notes.push(`DH ${s.tls.dh_prime_bits} bits`);
      if (s.tls?.certificate_requested) notes.push(`client cert requested, ${s.tls.client_certificates} sent`);
      for (const a of s.alerts) if (a.name !== 'Close Notify') notes.push(`alert ${a.name} from ${a.from}`);
      if (!s.tls) notes.push(s.tshark_protocols.join('/') || `${s.transport} only`);
      const tls = s.tls ? `${s.tls.version ?? 'no ServerHello'}, ${s.tls.cipher ?? '-'}` : '-';
      rows.push(`| ${capture.file} | ${s.transport} ${s.tshark_stream} | ${endpoint(s.client)} -> ${endpoint(s.server)} | ${tls} | ${s.tls?.server_name ?? '-'} | ${notes.join('; ')} |`);
    }
  }
  return rows.join('\n');
}

const files = readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
const captures = files.map(describeCapture);
const facts = {
  generated_by: 'captures/gen/tshark-facts.mjs',
  tshark: tsharkVersion,
  ja4_available: hasJa4,
  notes: [
    'client/server: the SYN sender is the client; without a SYN, the ClientHello sender; else the first packet\'s sender.',
    'Tunnelled traffic is described by its innermost transport; tunnels lists the encapsulations outermost first.',
    'ip_bytes: innermost IP total length summed per direction.',
    'tls.resumed is derived: TLS 1.3 pre_shared_key in ServerHello; TLS <= 1.2 no server Certificate after a session-id echo or ticket offer.',
  ],
  captures,
};
writeFileSync(join(dir, 'tshark-facts.json'), `${JSON.stringify(facts, null, 2)}\n`);

const readme = join(dir, 'README.md');
if (existsSync(readme)) {
  const text = readFileSync(readme, 'utf8');
  const begin = '<!-- facts:begin -->';
  const end = '<!-- facts:end -->';
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) {
    const table = `${begin}\n_Generated by gen/tshark-facts.mjs with ${tsharkVersion.replace(/\.$/, '')}._\n\n${markdownTable(captures)}\n${end}`;
    writeFileSync(readme, text.slice(0, i) + table + text.slice(j + end.length));
  }
}
process.stderr.write(`tshark-facts: ${captures.length} captures, ${captures.reduce((n, c) => n + c.streams.length, 0)} streams\n`);
