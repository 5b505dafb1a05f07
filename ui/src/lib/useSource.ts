import { useSyncExternalStore } from 'react';
import type { Keyed, RowSource } from './rows.js';

/** Re-renders when the source changes; returns its version. */
export function useSource<T extends Keyed>(source: RowSource<T>): number {
  return useSyncExternalStore(source.subscribe, source.getVersion);
}
