import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Helm } from './Helm';

/** A stand-in helm binary that records its environment and arguments, then answers a status. */
function recordingHelm() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-'));
  const record = path.join(dir, 'record');
  const binary = path.join(dir, 'helm');
  fs.writeFileSync(
    binary,
    `#!/bin/sh\nprintf '%s|%s|%s\\n' "$KUBECONFIG" "\${HELM_KUBECONTEXT:-unset}" "$*" >> "${record}"\necho '{"info":{"status":"deployed"},"version":3}'\n`,
    { mode: 0o755 },
  );
  return {
    binary,
    lines: () => fs.readFileSync(record, 'utf8').trim().split('\n'),
  };
}

describe('Helm', () => {
  it('talks to the configured kubeconfig, and its chosen context when there is one', async () => {
    const fake = recordingHelm();
    const plain = new Helm({
      binary: fake.binary,
      kubeconfigPath: () => '/k/config',
    });
    expect(await plain.status('dev-session', 'ns')).toEqual({
      status: 'deployed',
      revision: 3,
    });
    const withContext = new Helm({
      binary: fake.binary,
      kubeconfigPath: () => '/k/config',
      kubeContext: () => 'staging',
    });
    await withContext.status('dev-session', 'ns');
    expect(fake.lines()).toEqual([
      '/k/config|unset|status dev-session --namespace ns -o json',
      '/k/config|staging|status dev-session --namespace ns -o json',
    ]);
  });
});
