// The JSON API over fetch. Authentication: the agent accepts its token as a
// `Bearer` header or as the HttpOnly cookie set by `/login?token=T`. A page opened
// with `?token=` trades it for that cookie once (the WebSocket can only carry a
// cookie), keeps it in memory for the Bearer header, and drops it from the address
// bar so it does not linger in history or screenshots.

import { ROUTES, toQuery, type ApiError, type UploadResponse } from '@intransit/shared';

let bearer: string | null = null;

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: string[] = [],
  ) {
    super(message);
  }
}

/** Reads `?token=` from the page address, sets the cookie through `/login`, and removes it from the address. */
export async function establishToken(): Promise<void> {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token === null || token === '') return;
  bearer = token;
  url.searchParams.delete('token');
  window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  try {
    // the answer is a redirect to `/`; its Set-Cookie is stored all the same
    await fetch(`${ROUTES.login}${toQuery({ token })}`, { credentials: 'same-origin', redirect: 'manual', cache: 'no-store' });
  } catch {
    // the Bearer header still works for the API; the live feed will say it is refused
  }
}

function headers(extra?: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = { Accept: 'application/json', ...extra };
  if (bearer !== null) h.Authorization = `Bearer ${bearer}`;
  return h;
}

async function failure(res: Response): Promise<ApiFailure> {
  let body: Partial<ApiError> = {};
  try {
    body = (await res.json()) as ApiError;
  } catch {
    // not JSON: keep the status text
  }
  const reason = res.status === 401 ? 'not authorised: open the viewer with ?token=… (printed by the agent)' : (body.error ?? res.statusText);
  return new ApiFailure(res.status, `${res.status} ${reason}`, body.errors ?? []);
}

/** GET an API route with query parameters (undefined and empty values left out). */
export async function getJson<T>(path: string, query: Record<string, string | number | undefined> = {}, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path + toQuery(query), { headers: headers(), credentials: 'same-origin', signal, cache: 'no-store' });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** Content type the upload route accepts, from the file name. */
function captureType(name: string): string {
  if (/\.pcapng$/i.test(name)) return 'application/x-pcapng';
  if (/\.(pcap|cap|dmp)$/i.test(name)) return 'application/vnd.tcpdump.pcap';
  return 'application/octet-stream';
}

/** POSTs a capture as the raw body; XMLHttpRequest because fetch reports no upload progress. */
export function uploadCapture(file: File, onProgress: (sent: number, total: number) => void): { done: Promise<UploadResponse>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<UploadResponse>((resolve, reject) => {
    xhr.open('POST', ROUTES.upload + toQuery({ name: file.name }));
    for (const [k, v] of Object.entries(headers({ 'Content-Type': captureType(file.name) }))) xhr.setRequestHeader(k, v);
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiFailure(0, 'upload failed: network error'));
    xhr.onabort = () => reject(new ApiFailure(0, 'upload cancelled'));
    xhr.onload = () => {
      let body: Partial<ApiError & UploadResponse> = {};
      try {
        body = JSON.parse(xhr.responseText) as ApiError & UploadResponse;
      } catch {
        // keep the status
      }
      if (xhr.status === 202 || xhr.status === 200) resolve(body as UploadResponse);
      else {
        const why: Record<number, string> = { 413: 'capture too large', 415: 'not a pcap or pcapng file', 429: 'too many uploads replaying; try again shortly', 401: 'not authorised' };
        reject(new ApiFailure(xhr.status, `${xhr.status} ${body.error ?? why[xhr.status] ?? xhr.statusText}`));
      }
    };
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
