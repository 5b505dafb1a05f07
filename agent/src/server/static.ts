// The built viewer's files. A request path can only ever name a file under the
// viewer's directory: it is decoded once, refused with NUL or backslash, normalised,
// resolved, and checked against the directory's real path after symlinks.

import { createReadStream, realpathSync, statSync, type Stats } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>intransit</title></head>
<body><h1>intransit</h1>
<p>The viewer is not built. Run <code>npm run build -w ui</code> (or <code>npm start</code>), then reload.</p>
<p>The JSON API is served under <a href="/api/info">/api/</a>.</p></body></html>
`;

/** Resolves a URL path to a file under `root`, or null when it would leave it. */
export function resolveUnder(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || !decoded.startsWith('/')) return null;
  const base = resolve(root);
  const file = resolve(base, `.${decoded}`);
  if (file !== base && !file.startsWith(base + sep)) return null;
  return file;
}

function inside(realRoot: string, file: string): boolean {
  try {
    const real = realpathSync(file);
    return real === realRoot || real.startsWith(realRoot + sep);
  } catch {
    return false;
  }
}

function stat(file: string): Stats | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

export class StaticFiles {
  private realRoot: string | null = null;

  constructor(private readonly root: string) {}

  private rootReal(): string | null {
    if (this.realRoot === null) {
      try {
        this.realRoot = realpathSync(this.root);
      } catch {
        return null;
      }
    }
    return this.realRoot;
  }

  /** Answers a GET/HEAD for a viewer file (single-page app: unknown routes get index.html). */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    const realRoot = this.rootReal();
    if (realRoot === null) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : PLACEHOLDER);
      return;
    }
    let file = resolveUnder(realRoot, pathname);
    if (file === null) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('bad path\n');
      return;
    }
    let st = stat(file);
    if (st?.isDirectory()) {
      file = join(file, 'index.html');
      st = stat(file);
    }
    if (!st && extname(pathname) === '') {
      // a client-side route of the viewer
      file = join(realRoot, 'index.html');
      st = stat(file);
    }
    if (!st || !st.isFile() || !inside(realRoot, file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return;
    }
    const hashed = /[/\\]assets[/\\]/.test(file.slice(realRoot.length));
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }
}
