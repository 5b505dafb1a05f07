#!/usr/bin/env node
// `npm start`: builds what is missing, replays the bundled captures/ into a fresh
// demo database (data/demo.db) and serves the viewer at the printed URL until Ctrl-C.
//   INTRANSIT_LISTEN=ADDR:PORT npm start     another address (default 127.0.0.1:7443)
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (...p) => join(root, ...p);
const say = (m) => process.stderr.write(`npm start: ${m}\n`);

// TypeScript: incremental, so a second start costs little
const tsc = at('node_modules', 'typescript', 'bin', 'tsc');
say('building shared and agent');
const built = spawnSync(process.execPath, [tsc, '-b', 'shared', 'agent'], { cwd: root, stdio: 'inherit' });
if (!existsSync(at('agent', 'dist', 'cli.js'))) {
  say('the agent did not build; see the errors above');
  process.exit(built.status || 1);
}

// the viewer, when it has a build script and has not been built yet
const uiPkg = at('ui', 'package.json');
if (existsSync(uiPkg) && JSON.parse(readFileSync(uiPkg, 'utf8')).scripts?.build && !existsSync(at('ui', 'dist', 'index.html'))) {
  say('building the viewer (ui/)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'build', '-w', 'ui'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) say('the viewer did not build; the server will say so on its page');
}

const db = at('data', 'demo.db');
for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
const listen = process.env.INTRANSIT_LISTEN || '127.0.0.1:7443';
say(`replaying captures/ into data/demo.db and serving at ${listen}`);
const child = spawn(process.execPath, [at('agent', 'dist', 'cli.js'), 'replay', at('captures'), `--db=${db}`, `--serve=${listen}`, '--no-progress'], {
  cwd: root,
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
