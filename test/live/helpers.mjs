// Shared by the live/mirror tests: frames from a capture, VXLAN/GENEVE wrapping, the
// agent as a child process, root checks and network-namespace plumbing.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../../agent/dist/capture/index.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../../agent/dist/cli.js', import.meta.url));
export const CAPTURES = fileURLToPath(new URL('../../captures/', import.meta.url));

/** Every frame of a capture file, copied: [{ frame, linktype }]. */
export function framesOf(path) {
  const out = [];
  readCaptureFile(path, (buf, off, caplen, origlen, linktype) => {
    out.push({ frame: Buffer.from(buf.subarray(off, off + caplen)), linktype });
  });
  return out;
}

/** VXLAN header (RFC 7348: I flag, VNI) + frame. */
export function vxlan(frame, vni) {
  const h = Buffer.alloc(8);
  h[0] = 0x08;
  h.writeUIntBE(vni, 4, 3);
  return Buffer.concat([h, frame]);
}

/** GENEVE header (RFC 8926) with protocol type `ethertype` + payload. */
export function geneve(payload, vni, ethertype, optionWords = 0) {
  const h = Buffer.alloc(8 + optionWords * 4);
  h[0] = optionWords & 0x3f;
  h.writeUInt16BE(ethertype, 2);
  h.writeUIntBE(vni, 4, 3);
  return Buffer.concat([h, payload]);
}

/** Runs the CLI; resolves { code, stdout, stderr, docs } once it exits. `onStderr` sees each chunk. */
export function runCli(args, { env = {}, onStderr, prefix = [] } = {}) {
  const cmd = prefix.length ? prefix[0] : process.execPath;
  const argv = prefix.length ? [...prefix.slice(1), process.execPath, CLI, ...args] : [CLI, ...args];
  const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  const run = { child, stderrText: '' };
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
    run.stderrText = stderr;
    onStderr?.(stderr, child);
  });
  const done = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      let docs = [];
      try {
        docs = stdout
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l));
      } catch {
        // not NDJSON (text output)
      }
      resolve({ code, signal, stdout, stderr, docs });
    });
  });
  run.done = done;
  return run;
}

/** Resolves when the child's standard error (all of it so far, then as it grows) matches `re`. */
export function waitForStderr(run, re, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    // lines written before this call count too: two waits in a row must not miss a
    // line that arrived in the same chunk as the first one's
    const early = re.exec(run.stderrText ?? '');
    if (early) {
      resolve(early);
      return;
    }
    let text = run.stderrText ?? '';
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in stderr: ${text}`)), timeoutMs);
    run.child.stderr.on('data', (d) => {
      text += d;
      const m = re.exec(text);
      if (m) {
        clearTimeout(t);
        resolve(m);
      }
    });
  });
}

export function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function sh(cmd, { check = true } = {}) {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`${cmd}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

export const sessions = (docs) => docs.filter((d) => d.event?.dataset === 'intransit.session');
export const summaryOf = (docs) => docs.find((d) => d.event?.dataset === 'intransit.summary');

/**
 * Datagrams for the throughput test: the IPv4 TCP frames of each capture, replayed
 * `replays` times with the client's port renumbered per replay (so every replay is a
 * new connection), wrapped in VXLAN (one VNI per capture). Returns Buffers.
 */
export function mirrorDatagrams(files, replays, firstVni = 100) {
  const out = [];
  files.forEach((file, fi) => {
    const frames = framesOf(file)
      .filter((f) => f.linktype === 1 && f.frame.readUInt16BE(12) === 0x0800 && f.frame[23] === 6)
      .map((f) => f.frame);
    if (!frames.length) return;
    const first = frames[0];
    const l4 = 14 + (first[14] & 15) * 4;
    const client = first.readUInt16BE(l4);
    for (let r = 0; r < replays; r++) {
      const port = 1024 + ((fi * replays + r) % 60000);
      for (const frame of frames) {
        const f = Buffer.from(frame);
        const o = 14 + (f[14] & 15) * 4;
        if (f.readUInt16BE(o) === client) f.writeUInt16BE(port, o);
        if (f.readUInt16BE(o + 2) === client) f.writeUInt16BE(port, o + 2);
        out.push(vxlan(f, firstVni + fi));
      }
    }
  });
  return out;
}

/** [u16 length][bytes]... as blast.c reads it. */
export function datagramFile(datagrams) {
  const parts = [];
  for (const d of datagrams) {
    const h = Buffer.alloc(2);
    h.writeUInt16BE(d.length);
    parts.push(h, d);
  }
  return Buffer.concat(parts);
}

/** Two network namespaces joined by a veth pair, addresses 10.199.N.1 (a) and .2 (b). */
export function makeNamespacePair(tag) {
  const n = (process.pid % 200) + 20;
  const p = {
    a: `itr-${tag}-a-${process.pid}`,
    b: `itr-${tag}-b-${process.pid}`,
    va: `it${tag.slice(0, 3)}a${process.pid % 100000}`,
    vb: `it${tag.slice(0, 3)}b${process.pid % 100000}`,
    ipA: `10.199.${n}.1`,
    ipB: `10.199.${n}.2`,
  };
  sh(`ip netns add ${p.a} && ip netns add ${p.b}`);
  sh(`ip link add ${p.va} netns ${p.a} type veth peer name ${p.vb} netns ${p.b}`);
  sh(`ip -n ${p.a} addr add ${p.ipA}/24 dev ${p.va} && ip -n ${p.a} link set ${p.va} up && ip -n ${p.a} link set lo up`);
  sh(`ip -n ${p.b} addr add ${p.ipB}/24 dev ${p.vb} && ip -n ${p.b} link set ${p.vb} up && ip -n ${p.b} link set lo up`);
  p.cleanup = () => {
    sh(`ip netns pids ${p.a} 2>/dev/null | xargs -r kill 2>/dev/null; ip netns pids ${p.b} 2>/dev/null | xargs -r kill 2>/dev/null; true`, { check: false });
    sh(`ip netns del ${p.a}; ip netns del ${p.b}`, { check: false });
  };
  return p;
}

/** A throwaway ECDSA P-256 certificate for `cn` in `dir`: { cert, key }. */
export function makeCert(dir, cn) {
  const cert = `${dir}/cert.pem`;
  const key = `${dir}/key.pem`;
  sh(`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=${cn} -addext subjectAltName=DNS:${cn} -keyout ${key} -out ${cert} 2>/dev/null`);
  return { cert, key };
}

/** Starts a process (array argv) and resolves once `port` accepts on `host` inside netns `ns`. */
export async function startServer(argv, ns, host, port) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'ignore', 'ignore'] });
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], { stdio: 'ignore' });
    if (r.status === 0) return child;
    await new Promise((res) => setTimeout(res, 100));
  }
  child.kill();
  throw new Error(`${argv.join(' ')}: nothing listening on ${host}:${port}`);
}

/** An IPv4 header and UDP header (10.1.0.5:40000 -> 10.1.0.9:dport, no checksums) before `payload`. */
export function ipv4Udp(payload, dport) {
  const ip = Buffer.alloc(28);
  ip[0] = 0x45;
  ip.writeUInt16BE(28 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 17;
  ip.set([10, 1, 0, 5], 12);
  ip.set([10, 1, 0, 9], 16);
  ip.writeUInt16BE(40000, 20);
  ip.writeUInt16BE(dport, 22);
  ip.writeUInt16BE(8 + payload.length, 24);
  return Buffer.concat([ip, payload]);
}
