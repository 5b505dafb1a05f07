// Types both the agent and the viewer import: the documents of the output contract
// (../shared/spec/CONTRACT.md in the workplace; ECS field names, nested objects).

export type Severity = 1 | 2 | 3 | 4 | 5;
export const SEVERITY_NAMES: Record<string, Severity> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };

export interface Endpoint {
  ip: string;
  port: number;
  bytes: number;
  packets: number;
}

export interface TunnelLayer {
  type: 'vxlan' | 'geneve' | 'gre' | 'erspan' | 'ipip' | string;
  vni?: number; // VXLAN / GENEVE network identifier
  key?: number; // GRE key
  session_id?: number; // ERSPAN session
  id?: number; // other tunnel identifiers
}

export interface X509Doc {
  not_before?: string;
  not_after?: string;
  subject?: { common_name?: string };
  issuer?: { common_name?: string };
  alternative_names?: string[];
  public_key_algorithm?: string;
  public_key_size?: number;
  public_key_curve?: string;
  signature_algorithm?: string;
  serial_number?: string;
}

export interface TlsDoc {
  version_protocol?: 'tls' | 'ssl' | 'dtls';
  version?: string;
  cipher?: string;
  curve?: string;
  established?: boolean;
  resumed?: boolean;
  next_protocol?: string;
  client?: {
    server_name?: string;
    supported_ciphers?: string[];
    ja3?: string;
    ja4?: string;
    hash?: { sha256?: string };
    x509?: X509Doc;
  };
  server?: {
    ja3s?: string;
    hash?: { sha256?: string };
    x509?: X509Doc;
  };
}

export interface SessionDoc {
  '@timestamp': string;
  event: { kind: 'event'; dataset: 'intransit.session'; start: string; end: string };
  source: Endpoint;
  destination: Endpoint;
  network: {
    transport: 'tcp' | 'udp' | string;
    type: 'ipv4' | 'ipv6';
    protocol: string;
    community_id: string;
    vlan?: { id: number };
  };
  tls?: TlsDoc;
  intransit: {
    encrypted: boolean | null;
    tunnel?: TunnelLayer[];
    findings: string[];
    tls?: Record<string, unknown>;
    [k: string]: unknown;
  };
}

export interface FindingDoc extends Omit<SessionDoc, 'event'> {
  event: { kind: 'alert'; dataset: 'intransit.finding'; severity: Severity; start: string; end: string };
  rule: { id: string; name: string; category: 'SEC09-BP01' | 'SEC09-BP02' | 'SEC09-BP03'; reference: string };
  message: string;
}

export interface SummaryDoc {
  '@timestamp': string;
  event: { kind: 'metric'; dataset: 'intransit.summary'; start?: string; end?: string };
  intransit: { summary: Record<string, unknown> };
}

export type OutputDoc = SessionDoc | FindingDoc | SummaryDoc;

export * from './api.js';
