// A RowSource shown in a VirtualTable, with its count, the "new rows" notice when
// the user is scrolled away from the top, and loading / error states.

import { useCallback, useEffect, useRef, type ReactNode } from 'react';
import type { Keyed, RowSource } from '../lib/rows.js';
import { useSource } from '../lib/useSource.js';
import { int } from '../lib/format.js';
import { VirtualTable, type Column } from './VirtualTable.js';

interface Props<T extends Keyed> {
  source: RowSource<T>;
  columns: Column<T>[];
  label: string;
  noun: string;
  selected?: number | null;
  onOpen: (row: T) => void;
  atTop: { current: boolean };
  rowClass?: (row: T) => string;
  tools?: ReactNode;
  className?: string;
}

export function LiveList<T extends Keyed>({ source, columns, label, noun, selected, onOpen, atTop, rowClass, tools, className }: Props<T>) {
  const version = useSource(source);
  // after a new snapshot the rows in view may be gone: ask again for the last range
  const range = useRef<[number, number]>([0, 0]);
  useEffect(() => {
    if (!source.loading) source.ensure(range.current[0], range.current[1]);
  }, [source, version]);
  useEffect(() => {
    source.attach();
    return () => source.detach();
  }, [source]);
  const box = useRef<HTMLDivElement>(null);
  const onRange = useCallback(
    (first: number, last: number) => {
      range.current = [first, last];
      source.ensure(first, last);
    },
    [source],
  );
  const onTop = useCallback(
    (top: boolean) => {
      atTop.current = top;
      if (top) source.catchUp();
    },
    [source, atTop],
  );
  const row = useCallback((i: number) => source.row(i), [source]);
  const showNew = (): void => {
    box.current?.querySelector<HTMLElement>('.vt-body')?.scrollTo({ top: 0 });
    source.catchUp();
  };
  return (
    <div className={`livelist ${className ?? ''}`} ref={box} data-testid={`${noun}-list`}>
      <div className="list-bar">
        <span className="list-count num" data-testid={`${noun}-count`}>
          {int(source.count)} {source.count === 1 ? noun : `${noun}s`}
        </span>
        {source.loading ? <span className="dim">loading…</span> : null}
        {source.pending > 0 ? (
          <button type="button" className="btn btn-pill" onClick={showNew}>
            ↑ {int(source.pending)} new
          </button>
        ) : null}
        {source.error ? (
          <span className="error" role="alert">
            {source.error}
          </span>
        ) : null}
        <span className="list-tools">{tools}</span>
      </div>
      <div className={`list-table${source.loading ? ' is-stale' : ''}`}>
        <VirtualTable
          columns={columns}
          count={source.count}
          row={row}
          rowKey={(r) => r.id}
          selected={selected}
          onOpen={onOpen}
          onRange={onRange}
          onTop={onTop}
          rowClass={rowClass}
          label={label}
          empty={source.loading ? null : <span className="dim">No {noun}s match these filters.</span>}
        />
      </div>
    </div>
  );
}
