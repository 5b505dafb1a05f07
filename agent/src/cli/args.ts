// Minimal, strict command-line parsing: known flags only, values checked, one-line errors.

export class UsageError extends Error {}

/**
 * `optional-string`: `--name=VALUE`, or `--name VALUE` when the next argument matches
 * `value` (so `--db out.db` takes it but `--db capture.pcap` leaves the capture
 * positional), else the flag alone (`true`).
 */
export type FlagType = 'boolean' | 'string' | 'number' | { type: 'optional-string'; value: RegExp };

export interface FlagSpec {
  [name: string]: FlagType;
}

export interface Parsed {
  positional: string[];
  flags: Record<string, string | number | boolean>;
}

export function parseArgs(argv: string[], spec: FlagSpec): Parsed {
  const positional: string[] = [];
  const flags: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const type = spec[name];
      if (!type) throw new UsageError(`unknown option --${name}`);
      if (type === 'boolean') {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`);
        flags[name] = true;
        continue;
      }
      if (typeof type === 'object') {
        if (eq >= 0) flags[name] = a.slice(eq + 1);
        else if (i + 1 < argv.length && !argv[i + 1].startsWith('-') && type.value.test(argv[i + 1])) flags[name] = argv[++i];
        else flags[name] = true;
        continue;
      }
      const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      if (type === 'number') {
        const n = Number(value);
        if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} needs a non-negative number, not "${value}"`);
        flags[name] = n;
      } else flags[name] = value;
    } else if (a === '-h') {
      flags.help = true;
    } else positional.push(a);
  }
  return { positional, flags };
}
