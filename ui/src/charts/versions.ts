import { versionClass, versionLabel } from '../lib/format.js';

const RANK: Record<string, number> = { 'v-13': 0, 'v-12': 1, 'v-11': 2, 'v-10': 3, 'v-ssl': 4, 'v-other': 5, 'v-none': 6 };

/** Best first: TLS 1.3, 1.2, 1.1, 1.0, SSL, other, no TLS. */
export function versionOrder(a: string, b: string): number {
  return (RANK[versionClass(a)] ?? 9) - (RANK[versionClass(b)] ?? 9) || a.localeCompare(b);
}

export { versionClass, versionLabel };
