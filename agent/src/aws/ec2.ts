// The EC2 API as the aws commands use it: the real SDK client (credentials and region
// from its default provider chain; the endpoint from its standard AWS_ENDPOINT_URL_EC2
// setting), every call recorded by action name, a read-only mode that refuses any
// call but Describe* (what `plan` and `status` run in), and every failure turned into
// one line that says what to do.

import type { EC2Client } from '@aws-sdk/client-ec2';

type Sdk = typeof import('@aws-sdk/client-ec2');

/** An AWS call failed; `message` is the one line for the user. */
export class AwsError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

let sdkPromise: Promise<Sdk> | null = null;

/** Loads the SDK once (only the aws commands and --enrich pay for it). */
function loadSdk(): Promise<Sdk> {
  if (sdkPromise === null) {
    // the SDK announces its own future Node requirement on every run: not ours to say
    const emit = process.emitWarning;
    process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
      const text = typeof warning === 'string' ? warning : warning?.message;
      if (typeof text === 'string' && text.startsWith('NodeVersionSupportWarning')) return;
      return (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
    }) as typeof process.emitWarning;
    sdkPromise = import('@aws-sdk/client-ec2');
  }
  return sdkPromise;
}

/** One line for any error the SDK raises, naming the EC2 action. */
export function describeAwsError(e: unknown, action: string): AwsError {
  if (e instanceof AwsError) return e;
  const err = e as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { attempts?: number } };
  const code = err?.Code ?? err?.name ?? err?.code ?? 'Error';
  const raw = String(err?.message ?? e);
  // EC2 appends an encoded authorization context: long, and only `aws sts decode-authorization-message` reads it
  const msg = raw.replace(/\s*Encoded authorization failure message:.*$/s, '').split('\n')[0].trim();
  if (code === 'CredentialsProviderError' || /Could not load credentials/i.test(raw)) {
    return new AwsError(
      'aws: no AWS credentials: the SDK default chain found none (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, SSO, web identity, or the instance role via the metadata service)',
      code,
    );
  }
  if (/Region is missing/i.test(raw)) return new AwsError('aws: no AWS region: set AWS_REGION (or a profile region in ~/.aws/config)', code);
  if (code === 'UnauthorizedOperation' || code === 'AccessDenied' || code === 'AccessDeniedException') {
    return new AwsError(`aws: not authorized to call ec2:${action} (${code}: ${msg}); grant the policy that intransit aws iam-policy prints`, code);
  }
  if (code === 'RequestLimitExceeded' || code === 'Throttling' || code === 'ThrottlingException') {
    const attempts = err?.$metadata?.attempts;
    return new AwsError(`aws: EC2 throttled ec2:${action} (${code}${attempts ? ` after ${attempts} attempts` : ''}); try again in a minute, or raise AWS_MAX_ATTEMPTS`, code);
  }
  if (code === 'AuthFailure' || code === 'InvalidClientTokenId' || code === 'SignatureDoesNotMatch') {
    return new AwsError(`aws: AWS rejected the credentials (${code}: ${msg}); check the profile or role the SDK default chain picked`, code);
  }
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|socket hang up/i.test(raw)) return new AwsError(`aws: cannot reach the EC2 endpoint for ec2:${action} (${msg})`, code);
  return new AwsError(`aws: ec2:${action} failed: ${code}: ${msg}`, code);
}

export interface Ec2Options {
  /** Refuse every action that is not Describe* (plan, status). */
  readOnly: boolean;
  region?: string;
}

export class Ec2 {
  /** Actions called, in order. */
  readonly calls: string[] = [];

  private constructor(
    private readonly sdk: Sdk,
    private readonly client: EC2Client,
    readonly readOnly: boolean,
  ) {}

  static async open(opts: Ec2Options): Promise<Ec2> {
    const sdk = await loadSdk();
    const client = new sdk.EC2Client(opts.region ? { region: opts.region } : {});
    return new Ec2(sdk, client, opts.readOnly);
  }

  /** The region the client resolved (SDK default chain), or throws the one-line error. */
  async region(): Promise<string> {
    try {
      return await this.client.config.region();
    } catch (e) {
      throw describeAwsError(e, 'configuration');
    }
  }

  /** Calls one EC2 action by name with the SDK's input shape. */
  async call<T = Record<string, any>>(action: string, input: Record<string, unknown>): Promise<T> {
    if (this.readOnly && !action.startsWith('Describe')) throw new AwsError(`internal: ${action} attempted in a read-only command`);
    const Command = (this.sdk as unknown as Record<string, new (i: unknown) => unknown>)[`${action}Command`];
    if (!Command) throw new AwsError(`internal: no SDK command for ${action}`);
    this.calls.push(action);
    try {
      return (await this.client.send(new Command(input) as never)) as T;
    } catch (e) {
      throw describeAwsError(e, action);
    }
  }

  /** A paginated Describe*: every page's `listKey` items. */
  async describeAll<T = Record<string, any>>(action: string, input: Record<string, unknown>, listKey: string): Promise<T[]> {
    const items: T[] = [];
    let NextToken: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const out = await this.call(action, NextToken ? { ...input, NextToken } : input);
      items.push(...(((out as Record<string, unknown>)[listKey] as T[]) ?? []));
      NextToken = (out as { NextToken?: string }).NextToken;
      if (!NextToken) break;
    }
    return items;
  }

  destroy(): void {
    this.client.destroy();
  }
}
