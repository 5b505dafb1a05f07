// This instance, from the EC2 instance metadata service (IMDSv2: a session token first),
// for the default mirror target (the agent's own network interface) and the
// observer.* fields. The endpoint follows the SDK's own settings:
// AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED.

import { request } from 'node:http';

export interface InstanceIdentity {
  instanceId: string;
  accountId: string;
  region: string;
  availabilityZone: string;
  privateIp: string;
  instanceType: string;
  eni: string; // the primary network interface
  mac: string;
}

const TIMEOUT_MS = 1500;

function endpoint(): URL | null {
  if (/^true$/i.test(process.env.AWS_EC2_METADATA_DISABLED ?? '')) return null;
  return new URL(process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT || 'http://169.254.169.254');
}

function call(base: URL, method: 'GET' | 'PUT', path: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers, timeout: TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** This instance's identity and primary ENI; throws when not on EC2 (or IMDS is off). */
export async function instanceIdentity(): Promise<InstanceIdentity> {
  const base = endpoint();
  if (base === null) throw new Error('the instance metadata service is disabled (AWS_EC2_METADATA_DISABLED)');
  let token: string;
  try {
    token = await call(base, 'PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '300' });
  } catch (e) {
    throw new Error(`not on EC2, or the instance metadata service is unreachable (${(e as Error).message})`);
  }
  const get = (path: string) => call(base, 'GET', path, { 'x-aws-ec2-metadata-token': token });
  const doc = JSON.parse(await get('/latest/dynamic/instance-identity/document')) as Record<string, string>;
  const mac = (await get('/latest/meta-data/mac')).trim();
  const eni = (await get(`/latest/meta-data/network/interfaces/macs/${mac}/interface-id`)).trim();
  return {
    instanceId: doc.instanceId,
    accountId: doc.accountId,
    region: doc.region,
    availabilityZone: doc.availabilityZone,
    privateIp: doc.privateIp,
    instanceType: doc.instanceType,
    eni,
    mac,
  };
}
