// A table of any number of rows with a fixed row height: only the rows in view
// (plus a small margin) are in the DOM, positioned inside a spacer as tall as the
// whole list. Browsers cap an element's height (about 16–33 million px), so beyond
// MAX_PX the spacer is compressed and scroll positions are mapped linearly onto row
// positions. Keyboard: ↑/↓/PgUp/PgDn/Home/End move the selection, Enter opens it.

import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

export interface Column<T> {
  key: string;
  label: string;
  /** CSS grid track: `90px`, `minmax(120px, 1fr)`. */
  width: string;
  cell: (row: T) => ReactNode;
  align?: 'right';
  title?: string;
}

interface Props<T> {
  columns: Column<T>[];
  count: number;
  row: (i: number) => T | undefined;
  rowKey: (row: T) => number;
  rowHeight?: number;
  selected?: number | null;
  onOpen?: (row: T) => void;
  /** Visible range changed (rows first..last, inclusive). */
  onRange?: (first: number, last: number) => void;
  /** Whether the first row is in view, on every change. */
  onTop?: (atTop: boolean) => void;
  rowClass?: (row: T) => string;
  empty?: ReactNode;
  label: string;
}

const MAX_PX = 8_000_000;
const OVERSCAN = 8;

export function VirtualTable<T>({ columns, count, row, rowKey, rowHeight = 26, selected = null, onOpen, onRange, onTop, rowClass, empty, label }: Props<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [cursor, setCursor] = useState(-1);
  const frame = useRef<number | null>(null);

  const fullPx = count * rowHeight;
  const spacerPx = Math.min(fullPx, MAX_PX);
  // scroll position → virtual position
  const scale = spacerPx > height && fullPx > spacerPx ? (fullPx - height) / (spacerPx - height) : 1;
  const virtualTop = scrollTop * scale;
  const first = Math.max(0, Math.floor(virtualTop / rowHeight) - OVERSCAN);
  const last = Math.min(count - 1, Math.ceil((virtualTop + height) / rowHeight) + OVERSCAN);
  const template = columns.map((c) => c.width).join(' ');

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    if (count > 0) onRange?.(first, last);
  }, [first, last, count, onRange]);

  useEffect(() => {
    onTop?.(scrollTop < rowHeight);
  }, [scrollTop, rowHeight, onTop]);

  const onScroll = useCallback(() => {
    if (frame.current !== null) return;
    frame.current = window.requestAnimationFrame(() => {
      frame.current = null;
      if (scroller.current) setScrollTop(scroller.current.scrollTop);
    });
  }, []);

  useEffect(() => () => {
    if (frame.current !== null) window.cancelAnimationFrame(frame.current);
  }, []);

  const scrollToIndex = (i: number): void => {
    const el = scroller.current;
    if (!el) return;
    const top = i * rowHeight;
    if (top < virtualTop) el.scrollTop = top / scale;
    else if (top + rowHeight > virtualTop + height) el.scrollTop = (top + rowHeight - height) / scale;
  };

  const onKey = (e: KeyboardEvent<HTMLDivElement>): void => {
    const page = Math.max(1, Math.floor(height / rowHeight) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -Infinity, End: Infinity };
    if (e.key in moves) {
      e.preventDefault();
      const next = Math.max(0, Math.min(count - 1, (cursor < 0 ? first : cursor) + moves[e.key]));
      setCursor(next);
      scrollToIndex(next);
    } else if (e.key === 'Enter' && cursor >= 0) {
      const r = row(cursor);
      if (r !== undefined) onOpen?.(r);
    }
  };

  const rows: ReactNode[] = [];
  for (let i = first; i <= last; i++) {
    const r = row(i);
    const y = i * rowHeight - virtualTop + scrollTop;
    if (r === undefined) {
      rows.push(
        <div key={`p${i}`} className="vt-row vt-placeholder" style={{ transform: `translateY(${y}px)`, height: rowHeight, gridTemplateColumns: template }} aria-hidden="true">
          <span className="vt-cell">…</span>
        </div>,
      );
      continue;
    }
    const id = rowKey(r);
    const cls = `vt-row${id === selected ? ' is-selected' : ''}${i === cursor ? ' is-cursor' : ''}${rowClass ? ` ${rowClass(r)}` : ''}`;
    rows.push(
      <div
        key={id}
        role="row"
        aria-rowindex={i + 2}
        aria-selected={id === selected}
        className={cls}
        data-id={id}
        style={{ transform: `translateY(${y}px)`, height: rowHeight, gridTemplateColumns: template }}
        onClick={() => {
          setCursor(i);
          onOpen?.(r);
        }}
      >
        {columns.map((c) => (
          <span key={c.key} role="cell" className={`vt-cell${c.align === 'right' ? ' num' : ''}`}>
            {c.cell(r)}
          </span>
        ))}
      </div>,
    );
  }

  return (
    <div className="vt" role="table" aria-label={label} aria-rowcount={count + 1}>
      <div className="vt-head" role="row" style={{ gridTemplateColumns: template }}>
        {columns.map((c) => (
          <span key={c.key} role="columnheader" className={`vt-cell${c.align === 'right' ? ' num' : ''}`} title={c.title}>
            {c.label}
          </span>
        ))}
      </div>
      <div className="vt-body" ref={scroller} onScroll={onScroll} tabIndex={0} onKeyDown={onKey} data-testid={`${label.toLowerCase().replace(/\s+/g, '-')}-scroller`}>
        <div className="vt-spacer" style={{ height: spacerPx }}>
          {rows}
        </div>
        {count === 0 && empty ? <div className="vt-empty">{empty}</div> : null}
      </div>
    </div>
  );
}

/** Scrolls a VirtualTable's body back to the first row. */
export function scrollTableToTop(container: HTMLElement | null): void {
  container?.querySelector<HTMLElement>('.vt-body')?.scrollTo({ top: 0 });
}
