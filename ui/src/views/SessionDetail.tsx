// One session in full: the connection, its tunnel and cloud context, what each
// hello offered and the server chose, the certificates, the findings with their
// references, and the stored document itself.

import { useEffect, useState, type ReactNode } from 'react';
import { ROUTES, type SessionDetail as Detail } from '@intransit/shared';
import { getJson } from '../api/client.js';
import { Fields } from '../components/Fields.js';
import { Encrypted, Severity, Version } from '../components/bits.js';
import { bytes, dateTime, duration, hostPort, int } from '../lib/format.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

function Section({ title, children, aside, id }: { title: string; children: ReactNode; aside?: ReactNode; id: string }) {
  return (
    <section className="detail-section" aria-labelledby={`ds-${id}`} data-section={id}>
      <h3 id={`ds-${id}`}>
        {title}
        {aside ? <span className="section-aside">{aside}</span> : null}
      </h3>
      {children}
    </section>
  );
}

function Pair({ k, children }: { k: string; children: ReactNode }) {
  return (
    <div className="field-row">
      <dt>{k}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** A distinguished name as the engine wrote it (string) or an ECS `{ common_name }`. */
function dn(v: unknown): string | null {
  if (typeof v === 'string') return v;
  const o = obj(v);
  return o && typeof o.common_name === 'string' ? `CN=${o.common_name}` : null;
}

function daysBetween(a: string, b: string): number {
  return Math.floor((Date.parse(b) - Date.parse(a)) / 86_400_000);
}

function Certificate({ cert, index, at }: { cert: Obj; index: number; at: string }) {
  const notBefore = typeof cert.not_before === 'string' ? cert.not_before : null;
  const notAfter = typeof cert.not_after === 'string' ? cert.not_after : null;
  const left = notAfter ? daysBetween(at, notAfter) : null;
  const expired = left !== null && left < 0;
  const notYet = notBefore !== null && Date.parse(notBefore) > Date.parse(at);
  const validity = notBefore && notAfter ? daysBetween(notBefore, notAfter) : null;
  const key = [cert.public_key_algorithm, cert.public_key_size ?? cert.public_key_curve].filter((x) => x !== undefined && x !== null).join(' ');
  const flags = [cert.is_ca ? 'CA' : null, cert.self_signed ? 'self-signed' : cert.self_issued ? 'self-issued' : null].filter(Boolean);
  return (
    <article className="cert">
      <header>
        <span className="cert-index">{index === 0 ? 'leaf' : `#${index}`}</span>
        <strong className="val">{dn(cert.subject) ?? '(no subject)'}</strong>
        {flags.map((f) => (
          <span key={String(f)} className="tag">
            {String(f)}
          </span>
        ))}
      </header>
      <dl className="fields">
        <Pair k="issuer">
          <span className="val">{dn(cert.issuer) ?? '–'}</span>
        </Pair>
        <Pair k="valid">
          <span className="num">
            {notBefore?.slice(0, 10) ?? '?'} → {notAfter?.slice(0, 10) ?? '?'}
          </span>
          {validity !== null ? <span className="dim"> · {int(validity)} days</span> : null}
          {expired ? <span className="tag tag-bad">expired {int(-left!)} days before the session</span> : null}
          {notYet ? <span className="tag tag-bad">not yet valid at the session</span> : null}
          {!expired && !notYet && left !== null ? <span className="dim"> · {int(left)} days left at capture</span> : null}
        </Pair>
        <Pair k="key">
          <span className="val">{key || '–'}</span>
        </Pair>
        <Pair k="signature">
          <span className="val">{String(cert.signature_algorithm ?? '–')}</span>
        </Pair>
      </dl>
      <Fields value={cert} path={`chain[${index}]`} skip={['subject', 'issuer', 'not_before', 'not_after', 'public_key_algorithm', 'public_key_size', 'public_key_curve', 'signature_algorithm', 'is_ca', 'self_signed', 'self_issued']} />
    </article>
  );
}

function isUrl(s: string): boolean {
  return /^https?:\/\/\S+$/.test(s);
}

function Reference({ text }: { text: string }) {
  const parts = text.split(/;\s*/);
  return (
    <>
      {parts.map((p, i) => (
        <span key={i} className="ref">
          {isUrl(p) ? (
            <a href={p} target="_blank" rel="noreferrer noopener">
              {p}
            </a>
          ) : (
            p
          )}
        </span>
      ))}
    </>
  );
}

export function SessionDetail({ id, onClose, onFilter }: { id: number; onClose: () => void; onFilter: (k: 'rule' | 'server' | 'sni', v: string) => void }) {
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    setDetail(null);
    setError(null);
    getJson<Detail>(`${ROUTES.session}${id}`, {}, ac.signal).then(setDetail, (e: unknown) => {
      if (!ac.signal.aborted) setError((e as Error).message);
    });
    return () => ac.abort();
  }, [id]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  let body: ReactNode;
  if (error) body = <p className="error">{error}</p>;
  else if (!detail) body = <p className="dim pad">Loading session {id}…</p>;
  else body = <DetailBody detail={detail} onFilter={onFilter} />;

  return (
    <aside className="drawer" aria-label={`Session ${id}`} data-testid="session-detail">
      <div className="drawer-bar">
        <span className="dim">session</span> <strong className="num">#{id}</strong>
        <button type="button" className="btn btn-quiet drawer-close" onClick={onClose} aria-label="Close detail" title="Close (Esc)">
          ✕
        </button>
      </div>
      <div className="drawer-body">{body}</div>
    </aside>
  );
}

function DetailBody({ detail, onFilter }: { detail: Detail; onFilter: (k: 'rule' | 'server' | 'sni', v: string) => void }) {
  const { session: s, doc, findings } = detail;
  const d = doc as unknown as Obj;
  const it = obj(d.intransit) ?? {};
  const itTls = obj(it.tls) ?? {};
  const tls = obj(d.tls) ?? {};
  const tlsClient = obj(tls.client) ?? {};
  const tlsServer = obj(tls.server) ?? {};
  const chain = Array.isArray(itTls.chain) ? (itTls.chain as Obj[]) : [];
  const tunnel = Array.isArray(it.tunnel) ? (it.tunnel as Obj[]) : [];
  const cloud = obj(d.cloud);
  const observer = obj(d.observer);
  const reasons = Array.isArray(it.assessment_reasons) ? (it.assessment_reasons as string[]) : [];
  const negotiated: Obj = {};
  for (const [k, v] of Object.entries(tls)) if (k !== 'client' && k !== 'server') negotiated[k] = v;
  for (const [k, v] of Object.entries(itTls)) if (!['client', 'server', 'chain', 'chain_sha256'].includes(k)) negotiated[k] = v;
  const clientHello: Obj = { ...tlsClient, ...(obj(itTls.client) ?? {}) };
  delete clientHello.x509;
  const serverHello: Obj = { ...tlsServer, ...(obj(itTls.server) ?? {}) };
  delete serverHello.x509;
  const covered = new Set(['encrypted', 'findings', 'tunnel', 'tls', 'flow', 'assessment', 'assessment_reasons']);
  const otherIntransit: Obj = {};
  for (const [k, v] of Object.entries(it)) if (!covered.has(k)) otherIntransit[k] = v;
  const topCovered = new Set(['@timestamp', 'event', 'source', 'destination', 'network', 'tls', 'intransit', 'cloud', 'observer']);
  const otherTop: Obj = {};
  for (const [k, v] of Object.entries(d)) if (!topCovered.has(k)) otherTop[k] = v;
  const server = hostPort(s.dst_ip, s.dst_port);
  const isTls = s.tls_version !== null || Object.keys(itTls).length > 0;

  return (
    <>
      <header className="detail-head">
        <div className="detail-route">
          <span className="num">{hostPort(s.src_ip, s.src_port)}</span>
          <span className="arrow" aria-hidden="true">
            →
          </span>
          <button type="button" className="link num" onClick={() => onFilter('server', server)} title="Filter on this server">
            {server}
          </button>
        </div>
        <div className="detail-sni">
          {s.sni ? (
            <button type="button" className="link" onClick={() => onFilter('sni', s.sni!)} title="Filter on this SNI">
              {s.sni}
            </button>
          ) : (
            <span className="dim">no SNI</span>
          )}
        </div>
        <div className="detail-tags">
          <span className="tag">{s.transport}</span>
          <span className="tag">{s.protocol}</span>
          <Version protocol={s.tls_protocol} version={s.tls_version} />
          <Encrypted value={s.encrypted} />
          {s.cipher ? (
            <span className="tag val" data-testid="detail-cipher">
              {s.cipher}
            </span>
          ) : null}
          {s.curve ? <span className="tag">{s.curve}</span> : null}
          <Severity level={s.max_severity} />
        </div>
      </header>

      <Section id="findings" title="Findings" aside={`${findings.length}`}>
        {findings.length === 0 ? (
          <p className="dim">No findings.</p>
        ) : (
          <ol className="finding-list">
            {findings.map((f) => (
              <li key={f.id} className={`finding${f.waived ? ' is-waived' : ''}`}>
                <div className="finding-head">
                  <Severity level={f.severity} waived={f.waived !== null} />
                  <button type="button" className="link rule-id" onClick={() => onFilter('rule', f.rule)} title="Filter on this rule">
                    {f.rule}
                  </button>
                  <span className="finding-name">{f.name}</span>
                  <span className="tag">{f.category}</span>
                </div>
                <p className="finding-message">{f.message}</p>
                <dl className="fields compact">
                  <Pair k="reference">
                    <Reference text={f.reference} />
                  </Pair>
                  {f.first_packet !== null ? (
                    <Pair k="first packet">
                      <span className="num">{int(f.first_packet)}</span>
                    </Pair>
                  ) : null}
                  {f.waived ? (
                    <Pair k="waived">
                      <Fields value={f.waived} path="waived" />
                    </Pair>
                  ) : null}
                </dl>
              </li>
            ))}
          </ol>
        )}
      </Section>

      <Section id="connection" title="Connection">
        <dl className="fields">
          <Pair k="capture time">
            <span className="num">{dateTime(s.ts)}</span>
          </Pair>
          <Pair k="duration">
            <span className="num">{duration(s.ts, s.end)}</span>
            <span className="dim"> · ends {dateTime(s.end)}</span>
          </Pair>
          <Pair k="client → server">
            <span className="num">
              {bytes(doc.source.bytes)} in {int(doc.source.packets)} packets
            </span>
          </Pair>
          <Pair k="server → client">
            <span className="num">
              {bytes(doc.destination.bytes)} in {int(doc.destination.packets)} packets
            </span>
          </Pair>
          <Pair k="network">
            <span className="val">
              {doc.network.type} / {doc.network.transport}
              {doc.network.vlan ? ` · VLAN ${doc.network.vlan.id}` : ''}
            </span>
          </Pair>
          <Pair k="community id">
            <span className="val mono-ish">{doc.network.community_id}</span>
          </Pair>
          <Pair k="assessment">
            <span className="val">{String(it.assessment ?? '–')}</span>
            {reasons.map((r) => (
              <span key={r} className="tag">
                {r}
              </span>
            ))}
          </Pair>
          <Pair k="run">
            <span className="num">#{s.run}</span>
          </Pair>
        </dl>
        {obj(it.flow) ? <Fields value={it.flow} path="intransit.flow" /> : null}
      </Section>

      <Section id="tunnel" title="Tunnel and cloud">
        {tunnel.length === 0 && !cloud && !observer ? <p className="dim">Not tunnelled; no cloud enrichment.</p> : null}
        {tunnel.length ? (
          <table className="mini">
            <thead>
              <tr>
                <th>layer</th>
                <th>type</th>
                <th>identifier</th>
              </tr>
            </thead>
            <tbody>
              {tunnel.map((t, i) => (
                <tr key={i}>
                  <td className="num">{i === 0 ? 'outer' : i}</td>
                  <td>{String(t.type)}</td>
                  <td className="num">
                    {Object.entries(t)
                      .filter(([k]) => k !== 'type')
                      .map(([k, v]) => `${k === 'vni' ? 'VNI' : k} ${String(v)}`)
                      .join(' · ') || '–'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {cloud ? (
          <>
            <h4>cloud</h4>
            <Fields value={cloud} path="cloud" />
          </>
        ) : null}
        {observer ? (
          <>
            <h4>observer</h4>
            <Fields value={observer} path="observer" />
          </>
        ) : null}
      </Section>

      {isTls ? (
        <>
          <Section id="negotiated" title="Negotiated">
            <Fields value={negotiated} path="tls" />
          </Section>
          <Section id="client-hello" title="ClientHello">
            <Fields value={clientHello} path="tls.client" />
          </Section>
          <Section id="server-hello" title="ServerHello">
            <Fields value={serverHello} path="tls.server" />
          </Section>
          <Section id="certificates" title="Certificates" aside={chain.length ? `${chain.length} in chain` : undefined}>
            {chain.length ? (
              chain.map((c, i) => <Certificate key={i} cert={c} index={i} at={s.ts} />)
            ) : obj(tlsServer.x509) ? (
              <Fields value={tlsServer.x509} path="tls.server.x509" />
            ) : (
              <p className="dim">{reasons.includes('tls13-certificate-encrypted') ? 'Not observable: TLS 1.3 encrypts the Certificate message.' : 'No certificate in the capture (resumed session or handshake cut short).'}</p>
            )}
            {obj(tlsClient.x509) ? (
              <>
                <h4>client certificate</h4>
                <Fields value={tlsClient.x509} path="tls.client.x509" />
              </>
            ) : null}
          </Section>
        </>
      ) : null}

      {Object.keys(otherIntransit).length ? (
        <Section id="protocol" title="Protocol details">
          <Fields value={otherIntransit} path="intransit" />
        </Section>
      ) : null}
      {Object.keys(otherTop).length ? (
        <Section id="other" title="Other fields">
          <Fields value={otherTop} />
        </Section>
      ) : null}

      <details className="raw">
        <summary>Stored document (JSON)</summary>
        <pre>{JSON.stringify(doc, null, 2)}</pre>
      </details>
    </>
  );
}
