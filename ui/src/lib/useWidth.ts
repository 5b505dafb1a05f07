import { useLayoutEffect, useRef, useState, type RefObject } from 'react';

/** Width of an element, kept current with a ResizeObserver (charts draw to it). */
export function useWidth<E extends HTMLElement>(initial = 600): [RefObject<E | null>, number] {
  const ref = useRef<E>(null);
  const [width, setWidth] = useState(initial);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(120, Math.floor(el.clientWidth))));
    ro.observe(el);
    setWidth(Math.max(120, Math.floor(el.clientWidth)));
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}
